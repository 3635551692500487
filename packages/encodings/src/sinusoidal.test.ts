import { InvalidArgumentError } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it, vi } from 'vitest';
import { sinusoidal } from './sinusoidal.js';

/** Vaswani et al. §3.5 in float64: PE(p, 2i) = sin(p/base^{2i/d}), PE(p, 2i+1) = cos(p/base^{2i/d}). */
function pe(p: number, d: number, base = 10000): number[] {
  return Array.from({ length: d }, (_, j) => {
    const angle = p / base ** ((2 * Math.floor(j / 2)) / d);
    return j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
  });
}

describeBackends('sinusoidal', () => {
  it('matches the closed form for random widths (odd too), bases, lengths and offsets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 33 }),
        fc.constantFrom(10000, 100, 1e5),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 500 }),
        (d, base, length, offset) => {
          const enc = sinusoidal({ dim: d, base });
          const table = enc.encode(length, { offset });
          // Float32 rounding of values in [−1, 1]: atol 1e-6.
          expectTensorsClose(table, Array.from({ length }, (_, r) => pe(offset + r, d, base)).flat(), {
            atol: 1e-6,
            rtol: 0,
          });
          expect(table.shape).toEqual([length, d]);
          table.dispose();
          enc.dispose();
        },
      ),
      { seed: 301, numRuns: 25 },
    );
  });

  it('satisfies PE(p + k) = M_k PE(p) with M_k the block rotation [[cos kω, sin kω], [−sin kω, cos kω]]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }).map((i) => 2 * i),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        (d, p, k) => {
          const enc = sinusoidal({ dim: d });
          const rows = enc.encode(Math.max(p, p + k) + 1);
          const values = rows.dataSync();
          const at = (pos: number) => Array.from(values.subarray(pos * d, (pos + 1) * d));
          const x = at(p);
          const shifted = new Array<number>(d);
          for (let i = 0; i < d / 2; i++) {
            const w = 10000 ** (-(2 * i) / d);
            const [c, s] = [Math.cos(k * w), Math.sin(k * w)];
            shifted[2 * i] = c * x[2 * i]! + s * x[2 * i + 1]!;
            shifted[2 * i + 1] = -s * x[2 * i]! + c * x[2 * i + 1]!;
          }
          // Both sides carry float32 rounding of unit-bounded values: atol 1e-6.
          expectTensorsClose(at(p + k), shifted, { atol: 1e-6, rtol: 0 });
          rows.dispose();
          enc.dispose();
        },
      ),
      { seed: 302, numRuns: 25 },
    );
  });

  it('adds the table to [batch, length, d] and [length, d] embeddings, from an offset', () => {
    const enc = sinusoidal({ dim: 6 });
    const x = seededTensor([2, 5, 6], 4);
    const y = enc.apply(x.tensor, { offset: 3 });
    const expected = Array.from(x.data, (v, idx) => v + pe(3 + (Math.floor(idx / 6) % 5), 6)[idx % 6]!);
    expectTensorsClose(y, expected);
    const x2 = tf.reshape(x.tensor, [10, 6]);
    const y2 = enc.apply(x2);
    expectTensorsClose(
      y2,
      Array.from(x.data, (v, idx) => v + pe(Math.floor(idx / 6), 6)[idx % 6]!),
    );
    tf.dispose([x.tensor, y, x2, y2]);
    enc.dispose();
  });

  it('caches rows: repeated calls compute no sines, leak nothing, and dispose frees the table', () => {
    const before = tf.memory().numTensors;
    const enc = sinusoidal({ dim: 8 });
    tf.dispose(enc.encode(50));
    expect(tf.memory().numTensors).toBe(before + 1);
    const x = tf.zeros([2, 64, 8]);
    const sin = vi.spyOn(Math, 'sin');
    try {
      expectNoLeaks(() => enc.encode(30, { offset: 20 }));
      expectNoLeaks(() => enc.apply(x));
      expect(sin).not.toHaveBeenCalled();
    } finally {
      sin.mockRestore();
    }
    x.dispose();
    enc.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options and inputs', () => {
    const enc = sinusoidal({ dim: 4 });
    const bad: Array<[() => unknown, RegExp]> = [
      [() => sinusoidal({ dim: 0 }), /dim/],
      [() => sinusoidal({ dim: 2.5 }), /dim.*integer/],
      [() => sinusoidal({ dim: 4, base: -1 }), /base.*> 0/],
      [() => sinusoidal({ dim: 4, bases: 3 } as never), /options\.bases/],
      [() => sinusoidal(undefined as never), /options.*`dim`/],
      [() => enc.encode(0), /length/],
      [() => enc.encode(3, { offset: -1 }), /offset/],
      [() => enc.apply(tf.zeros([2, 3, 5])), /\[batch, length, 4\]/],
      [() => enc.apply(tf.zeros([2, 3, 4], 'int32')), /dtype/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
    enc.dispose();
  });
});
