import { InvalidArgumentError, memoryEfficientAttention } from '@efficient-attention/core';
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
import { t5RelativeBias, t5RelativePositionBucket } from './t5-relative-bias.js';

// Hand-computed from HF's `_relative_position_bucket` (bidirectional, 32 buckets, max_distance 128: 16 per
// direction, exact below 8, then 8 + ⌊ln(n/8)/ln(16)·8⌋ capped at 15; keys after the query add 16).
const BIDIRECTIONAL: Array<[number, number]> = [
  [0, 0],
  [-1, 1],
  [-7, 7],
  [-8, 8],
  [-11, 8],
  [-12, 9],
  [-15, 9],
  [-16, 10],
  [-22, 10],
  [-23, 11],
  [-32, 12],
  [-45, 12],
  [-46, 13],
  [-64, 14],
  [-90, 14],
  [-91, 15],
  [-128, 15],
  [-1000, 15],
  [1, 17],
  [7, 23],
  [8, 24],
  [12, 25],
  [16, 26],
  [91, 31],
  [1000, 31],
];
// Causal: keys after the query fall in bucket 0; exact below 16, then 16 + ⌊ln(n/16)/ln(8)·16⌋ capped at 31.
const CAUSAL: Array<[number, number]> = [
  [5, 0],
  [0, 0],
  [-5, 5],
  [-15, 15],
  [-16, 16],
  [-19, 17],
  [-20, 17],
  [-31, 21],
  [-32, 21],
  [-63, 26],
  [-64, 26],
  [-126, 31],
  [-127, 31],
  [-128, 31],
  [-5000, 31],
];
// 8 buckets, max_distance 20: 4 per direction, exact below 2, then 2 + ⌊ln(n/2)/ln(10)·2⌋ capped at 3.
const SMALL: Array<[number, number]> = [
  [-3, 2],
  [-4, 2],
  [-5, 2],
  [-9, 3],
  [-10, 3],
  [-20, 3],
  [3, 6],
  [9, 7],
  [20, 7],
];

/** An independent transcription of HF's `_relative_position_bucket` for one relative position. */
function hfBucket(rel: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let nb = numBuckets;
  let out = 0;
  let n = rel;
  if (bidirectional) {
    nb = Math.floor(nb / 2);
    out += rel > 0 ? nb : 0;
    n = Math.abs(rel);
  } else {
    n = -Math.min(rel, 0);
  }
  const maxExact = Math.floor(nb / 2);
  if (n < maxExact) return out + n;
  return (
    out +
    Math.min(
      maxExact + Math.floor((Math.log(n / maxExact) / Math.log(maxDistance / maxExact)) * (nb - maxExact)),
      nb - 1,
    )
  );
}

describe('t5RelativePositionBucket', () => {
  it('matches the hand-computed tables of the reference implementation', () => {
    for (const [rel, bucket] of BIDIRECTIONAL)
      expect(t5RelativePositionBucket(rel), `rel ${rel}`).toBe(bucket);
    for (const [rel, bucket] of CAUSAL)
      expect(t5RelativePositionBucket(rel, { bidirectional: false }), `rel ${rel}`).toBe(bucket);
    for (const [rel, bucket] of SMALL)
      expect(t5RelativePositionBucket(rel, { numBuckets: 8, maxDistance: 20 }), `rel ${rel}`).toBe(bucket);
  });

  it('rejects settings without exact or logarithmic buckets', () => {
    expect(() => t5RelativePositionBucket(1, { numBuckets: 3 })).toThrow(InvalidArgumentError);
    expect(() => t5RelativePositionBucket(1, { numBuckets: 32, maxDistance: 8 })).toThrow(/maxDistance.*≥ 9/);
    expect(() => t5RelativePositionBucket(1, { bidirectional: 'no' as never })).toThrow(/bidirectional/);
    expect(() => t5RelativePositionBucket(1.5)).toThrow(/relativePosition/);
  });
});

describeBackends('t5RelativeBias', () => {
  it('bias(qLen, kvLen)[h, i, j] = table[bucket(j − i − queryOffset), h]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 30 }),
        fc.boolean(),
        fc.constantFrom([32, 128], [8, 20], [6, 5]),
        (heads, qLen, kvLen, queryOffset, bidirectional, [numBuckets, maxDistance]) => {
          const enc = t5RelativeBias({
            heads,
            bidirectional,
            numBuckets: numBuckets!,
            maxDistance: maxDistance!,
            seed: 3,
          });
          const table = enc.variables.table!.dataSync();
          const b = enc.bias(qLen, kvLen, { queryOffset });
          const expected: number[] = [];
          for (let h = 0; h < heads; h++)
            for (let i = 0; i < qLen; i++)
              for (let j = 0; j < kvLen; j++)
                expected.push(
                  table[hfBucket(j - i - queryOffset, bidirectional, numBuckets!, maxDistance!) * heads + h]!,
                );
          // A gather: exact.
          expectTensorsClose(b, expected, { atol: 0, rtol: 0 });
          b.dispose();
          enc.dispose();
        },
      ),
      { seed: 601, numRuns: 20 },
    );
  });

  it('as a score modifier, gives chunked attention equal to the float64 reference; the scalar form agrees', () => {
    const heads = 3;
    const enc = t5RelativeBias({ heads, numBuckets: 8, maxDistance: 10, initStd: 1, seed: 9 });
    const table = enc.variables.table!.dataSync();
    const q = seededTensor([1, heads, 11, 4], 1);
    const k = seededTensor([1, heads, 11, 4], 2);
    const v = seededTensor([1, heads, 11, 2], 3);
    const mod = enc.scoreMod();
    const bias = (h: number, i: number, j: number) => table[hfBucket(j - i, true, 8, 10) * heads + h]!;
    const reference = referenceAttention(
      {
        q: q.data,
        k: k.data,
        v: v.data,
        batch: 1,
        heads,
        kvHeads: heads,
        qLen: 11,
        kvLen: 11,
        headDim: 4,
        valueDim: 2,
      },
      { scoreMod: (s, _b, h, i, j) => s + bias(h, i, j) },
    );
    const out = memoryEfficientAttention(q.tensor, k.tensor, v.tensor, {
      scoreMod: mod,
      queryChunkSize: 3,
      keyChunkSize: 4,
    });
    // Softmax attention in float32 vs float64: default atol 1e-5, rtol 1e-4.
    expectTensorsClose(out, reference.output);
    expect(mod.scalar(1, 0, 2, 7, 1)).toBeCloseTo(1 + bias(2, 7, 1), 6);
    tf.dispose([q.tensor, k.tensor, v.tensor, out]);
    enc.dispose();
  });

  it('trains: ∂Σ c·bias/∂table[b, h] sums c over the pairs in bucket b, and one step reduces a loss', () => {
    const heads = 2;
    const enc = t5RelativeBias({ heads, numBuckets: 8, maxDistance: 10, bidirectional: false });
    const table = enc.variables.table!;
    const c = seededTensor([heads, 7, 9], 4);
    const { value: lossValue, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(c.tensor, enc.bias(7, 9))) as tf.Scalar,
      [table],
    );
    const expected = new Float64Array(8 * heads);
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < 7; i++)
        for (let j = 0; j < 9; j++)
          expected[hfBucket(j - i, false, 8, 10) * heads + h]! += c.data[(h * 7 + i) * 9 + j]!;
    // Sums of ≤ 63 float32 values of magnitude ~1: atol 1e-4.
    expectTensorsClose(grads[table.name]!, expected, { atol: 1e-4 });
    tf.dispose([lossValue, grads]);

    const q = seededTensor([1, heads, 6, 4], 5).tensor;
    const target = seededTensor([1, heads, 6, 4], 6).tensor;
    const mod = enc.scoreMod();
    const loss = () =>
      tf.mean(
        tf.square(
          tf.sub(memoryEfficientAttention(q, q, q, { scoreMod: mod, causal: true, keyChunkSize: 4 }), target),
        ),
      ) as tf.Scalar;
    const before = tf.tidy(() => loss().dataSync()[0]!);
    const optimizer = tf.train.sgd(1);
    optimizer.minimize(loss, false, [table]);
    optimizer.dispose();
    expect(tf.tidy(() => loss().dataSync()[0]!)).toBeLessThan(before);
    tf.dispose([c.tensor, q, target]);
    enc.dispose();
  });

  it('leaks nothing, forward or backward, and frees its table on dispose', () => {
    const before = tf.memory().numTensors;
    const enc = t5RelativeBias({ heads: 2 });
    const q = tf.ones([1, 2, 5, 2]);
    expectNoLeaks(() => memoryEfficientAttention(q, q, q, { scoreMod: enc.scoreMod(), keyChunkSize: 2 }));
    expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(enc.bias(4, 5)) as tf.Scalar,
        [enc.variables.table!],
      );
      return [value, grads];
    });
    q.dispose();
    enc.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options', () => {
    const bad: Array<[() => unknown, RegExp]> = [
      [() => t5RelativeBias({} as never), /heads/],
      [() => t5RelativeBias({ heads: 2, numBuckets: 2 }), /numBuckets.*≥ 4/],
      [() => t5RelativeBias({ heads: 2, maxDistance: 4 }), /maxDistance/],
      [() => t5RelativeBias({ heads: 2, initStd: -0.1 }), /initStd/],
      [() => t5RelativeBias({ heads: 2, buckets: 8 } as never), /options\.buckets/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
  });
});
