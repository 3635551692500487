import { InvalidArgumentError } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  seededNormalValues,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { sparsemax } from './sparsemax.js';
import { sparsemax64 } from './test-support/float64.js';

// float32 sort + cumulative sum over ≤ 48 entries of scale ≤ 3 against float64: a few ulps of the sums.
const TOL = { atol: 2e-6, rtol: 1e-5 };

/** Random rows (seeded float32 values) with their float64 copies. */
const rowsArbitrary = fc.record({
  rows: fc.integer({ min: 1, max: 5 }),
  n: fc.integer({ min: 1, max: 48 }),
  scale: fc.double({ min: 0.1, max: 3, noNaN: true }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describeBackends('sparsemax', () => {
  it('equals the float64 simplex projection (sort-based threshold) and sums to 1, with exact zeros', () => {
    fc.assert(
      fc.property(rowsArbitrary, ({ rows, n, scale, seed }) => {
        const values = seededNormalValues(rows * n, seed, scale);
        const expected = new Float64Array(rows * n);
        for (let r = 0; r < rows; r++) {
          expected.set(sparsemax64(values.subarray(r * n, (r + 1) * n)), r * n);
        }
        const x = tf.tensor2d(values, [rows, n]);
        const p = sparsemax(x);
        expectTensorsClose(p, expected, TOL);
        const out = p.dataSync() as Float32Array;
        for (let r = 0; r < rows; r++) {
          const row = Array.from(out.subarray(r * n, (r + 1) * n));
          expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
        }
        // Theory: an entry is zero iff it is at or below the threshold τ. Away from τ (1e-4 margin) the
        // float32 result must agree exactly, zeros as true zeros.
        for (let r = 0; r < rows; r++) {
          const rowExpected = expected.subarray(r * n, (r + 1) * n);
          const rowValues = values.subarray(r * n, (r + 1) * n);
          const j = rowExpected.findIndex((e) => e > 0);
          const tau = rowValues[j]! - rowExpected[j]!; // p = z − τ on the support
          for (let c = 0; c < n; c++) {
            if (rowValues[c]! < tau - 1e-4) expect(out[r * n + c]).toBe(0);
            if (rowValues[c]! > tau + 1e-4) expect(out[r * n + c]).toBeGreaterThan(0);
          }
        }
        tf.dispose([x, p]);
      }),
      { numRuns: 40, seed: 1602 },
    );
  });

  it('matches the closed forms on small vectors', () => {
    // Two entries closer than 1: p₁ = (1 + z₁ − z₂)/2. Farther than 1: one-hot.
    const cases: Array<[number[], number[]]> = [
      [
        [0.3, -0.1],
        [0.7, 0.3],
      ],
      [
        [2, 0.5],
        [1, 0],
      ],
      [
        [1, 0.8, -1],
        [0.6, 0.4, 0],
      ],
      // Equal entries: uniform over all of them.
      [
        [0.2, 0.2, 0.2, 0.2],
        [0.25, 0.25, 0.25, 0.25],
      ],
      [[5], [1]],
    ];
    for (const [z, expected] of cases) {
      const p = sparsemax(tf.tensor1d(z));
      expectTensorsClose(p, expected, { atol: 1e-6, rtol: 0 });
      expect(Array.from(p.dataSync()).filter((_, i) => expected[i] === 0)).toEqual(
        expected.filter((e) => e === 0),
      );
      p.dispose();
    }
  });

  it('gives 0 to −∞ and to core’s −1e30 mask fill, a uniform row for all −∞, and never NaN', () => {
    const x = tf.tensor2d(
      [
        [0.5, Number.NEGATIVE_INFINITY, 0.1, -1e30],
        [
          Number.NEGATIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
        ],
        [1e4, 1e4 - 0.5, -1e4, 0],
      ],
      [3, 4],
    );
    const p = sparsemax(x);
    expectTensorsClose(p, [0.7, 0, 0.3, 0, 0.25, 0.25, 0.25, 0.25, 0.75, 0.25, 0, 0], {
      atol: 1e-6,
      rtol: 0,
    });
    expect(p.dataSync()[1]).toBe(0);
    expect(p.dataSync()[3]).toBe(0);
    tf.dispose([x, p]);
  });

  it('has the exact gradient diag(s) − s sᵀ/|S| (finite differences of the float64 projection)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 24 }), fc.integer({ min: 0, max: 100_000 }), (n, seed) => {
        const z = seededNormalValues(n, seed, 0.7);
        const w = seededNormalValues(n, seed + 1);
        const loss = (v: ArrayLike<number>) => sparsemax64(v).reduce((a, p, i) => a + p * w[i]!, 0);
        const expected = finiteDifferenceGradient(loss, Float64Array.from(z), 1e-6);
        const wt = tf.tensor1d(w);
        const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(sparsemax(x), wt)));
        const x = tf.tensor1d(z);
        const g = grad(x);
        // float32 backward (a sum over ≤ 24 entries) vs a float64 central difference (error ~1e-10).
        expectTensorsClose(g, expected, { atol: 1e-5, rtol: 1e-4 });
        tf.dispose([wt, x, g]);
      }),
      { numRuns: 25, seed: 2016 },
    );
  });

  it('leaks no tensors, forward or backward', () => {
    const x = tf.tensor2d(seededNormalValues(3 * 7, 5), [3, 7]);
    expectNoLeaks(() => sparsemax(x));
    expectNoLeaks(() => tf.grad((t: tf.Tensor) => tf.sum(tf.square(sparsemax(t))))(x));
    x.dispose();
  });

  it('rejects non-float32 and empty inputs with InvalidArgumentError', () => {
    const ints = tf.tensor1d([1, 2], 'int32');
    expect(() => sparsemax(ints)).toThrow(InvalidArgumentError);
    expect(() => sparsemax(ints)).toThrow(/sparsemax: `logits.dtype` must be "float32"/);
    const empty = tf.zeros([2, 0]);
    expect(() => sparsemax(empty)).toThrow(/non-empty last axis/);
    expect(() => sparsemax([1, 2] as unknown as tf.Tensor)).toThrow(InvalidArgumentError);
    tf.dispose([ints, empty]);
  });
});
