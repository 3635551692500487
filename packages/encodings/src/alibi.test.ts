import {
  InvalidArgumentError,
  memoryEfficientAttention,
  scaledDotProductAttention,
} from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alibi, alibiSlopes } from './alibi.js';

describe('alibiSlopes', () => {
  it('is the paper’s geometric sequence for 8 heads: 1/2, 1/4, …, 1/256', () => {
    expect(alibiSlopes(8)).toEqual([1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256]);
  });

  it('is 2^(−8h/n), h = 1 … n, for every power of two n', () => {
    for (const n of [1, 2, 4, 16, 32, 64, 128]) {
      const slopes = alibiSlopes(n);
      expect(slopes).toHaveLength(n);
      slopes.forEach((m, h) => {
        expect(Math.abs(m / 2 ** (-(8 * (h + 1)) / n) - 1)).toBeLessThan(1e-14);
      });
    }
  });

  it('for other counts, takes the closest power of two and then every other slope of twice it (paper’s code)', () => {
    // 12 heads: the 8-head slopes, then slopes 1, 3, 5, 7 of the 16-head sequence 2^(−h/2).
    const twelve = [1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5].map((e) => 2 ** -e);
    alibiSlopes(12).forEach((m, h) => {
      expect(m).toBeCloseTo(twelve[h]!, 15);
    });
    // 6 heads: the 4-head slopes 2^(−2h), then slopes 1, 3 of the 8-head sequence.
    expect(alibiSlopes(6)).toEqual([1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2, 1 / 8]);
    expect(alibiSlopes(3)).toEqual([1 / 16, 1 / 256, 1 / 4]);
  });

  it('rejects a head count that is not a positive integer', () => {
    expect(() => alibiSlopes(0)).toThrow(InvalidArgumentError);
    expect(() => alibiSlopes(2.5)).toThrow(/heads/);
  });
});

describeBackends('alibi', () => {
  it('bias(qLen, kvLen) is −m_h·|i + queryOffset − j|', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: -5, max: 5 }),
        (heads, qLen, kvLen, queryOffset) => {
          const enc = alibi({ heads });
          const b = enc.bias(qLen, kvLen, { queryOffset });
          const slopes = alibiSlopes(heads);
          const expected: number[] = [];
          for (let h = 0; h < heads; h++)
            for (let i = 0; i < qLen; i++)
              for (let j = 0; j < kvLen; j++) expected.push(-slopes[h]! * Math.abs(i + queryOffset - j));
          expect(b.shape).toEqual([heads, qLen, kvLen]);
          // Float32 slope times an integer distance: rtol 1e-6.
          expectTensorsClose(b, expected, { atol: 1e-6, rtol: 1e-6 });
          b.dispose();
          enc.dispose();
        },
      ),
      { seed: 501, numRuns: 20 },
    );
  });

  it('as a score modifier, gives attention equal to the float64 reference (dense and chunked)', () => {
    const heads = 6;
    const enc = alibi({ heads });
    const slopes = alibiSlopes(heads);
    const q = seededTensor([2, heads, 9, 4], 1);
    const k = seededTensor([2, heads, 13, 4], 2);
    const v = seededTensor([2, heads, 13, 3], 3);
    const queryOffset = 4; // bottom-right aligned: 13 − 9
    const mod = enc.scoreMod({ queryOffset });
    const reference = referenceAttention(
      {
        q: q.data,
        k: k.data,
        v: v.data,
        batch: 2,
        heads,
        kvHeads: heads,
        qLen: 9,
        kvLen: 13,
        headDim: 4,
        valueDim: 3,
      },
      { causal: true, scoreMod: (s, _b, h, i, j) => s - slopes[h]! * Math.abs(i + queryOffset - j) },
    );
    const dense = scaledDotProductAttention(q.tensor, k.tensor, v.tensor, { causal: true, scoreMod: mod });
    // Chunks of 4 × 5 exercise the block offsets (qStart, kvStart, headStart) of the tensor form.
    const chunked = memoryEfficientAttention(q.tensor, k.tensor, v.tensor, {
      causal: true,
      scoreMod: mod,
      queryChunkSize: 4,
      keyChunkSize: 5,
    });
    // Softmax attention in float32 vs float64: atol 1e-5, rtol 1e-4 (default).
    expectTensorsClose(dense, reference.output);
    expectTensorsClose(chunked, reference.output);
    // The scalar form is the same function.
    expect(mod.scalar(0.5, 1, 3, 2, 11)).toBeCloseTo(0.5 - slopes[3]! * Math.abs(2 + 4 - 11), 6);
    tf.dispose([q.tensor, k.tensor, v.tensor, dense, chunked]);
    enc.dispose();
  });

  it('learnable slopes: ∂Σbias/∂m_h = −Σ|i − j|, one step through attention reduces a loss, the scalar form follows', () => {
    const enc = alibi({ heads: 2, learnable: true });
    const slopes = enc.variables.slopes!;
    const { value: lossValue, grads } = tf.variableGrads(() => tf.sum(enc.bias(3, 4)) as tf.Scalar, [slopes]);
    // Σ_{i<3, j<4} |i − j| = 6 + 4 + 4 = 14 per head.
    expectTensorsClose(grads[slopes.name]!, [-14, -14]);
    tf.dispose([lossValue, grads]);

    const q = seededTensor([1, 2, 6, 4], 5).tensor;
    const v = seededTensor([1, 2, 6, 4], 6).tensor;
    const mod = enc.scoreMod();
    // Loss: how far the output is from v's last row; steeper or flatter recency changes it.
    const target = tf.tile(tf.slice(v, [0, 0, 5, 0], [1, 2, 1, 4]), [1, 1, 6, 1]);
    const loss = () =>
      tf.mean(tf.square(tf.sub(scaledDotProductAttention(q, q, v, { scoreMod: mod }), target))) as tf.Scalar;
    const before = tf.tidy(() => loss().dataSync()[0]!);
    const scalarBefore = mod.scalar(0, 0, 1, 0, 3);
    const optimizer = tf.train.sgd(1);
    optimizer.minimize(loss, false, [slopes]);
    optimizer.dispose();
    expect(tf.tidy(() => loss().dataSync()[0]!)).toBeLessThan(before);
    const m1 = slopes.dataSync()[1]!;
    expect(mod.scalar(0, 0, 1, 0, 3)).toBeCloseTo(-m1 * 3, 6);
    expect(mod.scalar(0, 0, 1, 0, 3)).not.toBeCloseTo(scalarBefore, 6);
    tf.dispose([q, v, target]);
    enc.dispose();
  });

  it('refuses scores with more heads than it has, and leaks nothing', () => {
    const enc = alibi({ heads: 2 });
    const q = tf.ones([1, 3, 2, 2]);
    expect(() => scaledDotProductAttention(q, q, q, { scoreMod: enc.scoreMod() })).toThrow(
      /the encoding has 2/,
    );
    expect(() => enc.scoreMod().scalar(0, 0, 2, 0, 0)).toThrow(InvalidArgumentError);
    const q2 = tf.ones([1, 2, 5, 2]);
    expectNoLeaks(() => scaledDotProductAttention(q2, q2, q2, { scoreMod: enc.scoreMod() }));
    expectNoLeaks(() => enc.bias(4, 6));
    tf.dispose([q, q2]);
    const before = tf.memory().numTensors;
    alibi({ heads: 4, learnable: true }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    enc.dispose();
  });

  it('rejects bad options', () => {
    const enc = alibi({ heads: 2 });
    const bad: Array<[() => unknown, RegExp]> = [
      [() => alibi({ heads: 0 }), /heads/],
      [() => alibi({ heads: 2, learnable: 1 as never }), /learnable.*boolean/],
      [() => alibi({ heads: 2, slope: 1 } as never), /options\.slope/],
      [() => enc.bias(0, 3), /qLen/],
      [() => enc.bias(2, 3, { queryOffset: 0.5 }), /queryOffset/],
      [() => enc.scoreMod({ offset: 1 } as never), /options\.offset/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
    enc.dispose();
  });
});
