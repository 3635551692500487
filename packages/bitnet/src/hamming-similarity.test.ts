import { describeBackends, expectNoLeaks, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hammingSimilarity, packSignBits, popcount32 } from './hamming-similarity.js';

describe('popcount32 and packSignBits', () => {
  it('popcount32 counts the bits of any 32-bit integer (against a bit-by-bit loop)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (x) => {
        let count = 0;
        for (let b = 0; b < 32; b++) count += (x >>> b) & 1;
        expect(popcount32(x)).toBe(count);
      }),
      { numRuns: 500, seed: 1 },
    );
    expect(popcount32(-1)).toBe(32);
    expect(popcount32(0)).toBe(0);
  });

  it('packSignBits sets bit j for value j > 0 (0 and negatives are −1), 32 per word', () => {
    expect(packSignBits(Float32Array.of(0.5, -1, 0, 2), 1, 4)).toEqual(Int32Array.of(0b1001));
    const values = Array.from({ length: 2 * 33 }, (_, i) => (i === 32 || i === 33 + 31 ? 1 : -1));
    // Row 0: bit 32 → word 1, bit 0; row 1: bit 31 → word 0, the sign bit.
    expect(packSignBits(values, 2, 33)).toEqual(Int32Array.of(0, 1, 1 << 31, 0));
    expect(() => packSignBits([1, 2, 3], 2, 2)).toThrow(/`values.length` must be rows·dim = 4, received 3/);
  });
});

describeBackends('hammingSimilarity', () => {
  it('equals sign(q)·sign(k) computed in float64 exactly (random shapes, d not a multiple of 32, GQA)', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          kvHeads: fc.integer({ min: 1, max: 2 }),
          group: fc.integer({ min: 1, max: 2 }),
          qLen: fc.integer({ min: 1, max: 12 }),
          kvLen: fc.integer({ min: 1, max: 12 }),
          d: fc.integer({ min: 1, max: 100 }),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        ({ batch, kvHeads, group, qLen, kvLen, d, seed }) => {
          const heads = kvHeads * group;
          const q = seededTensor([batch, heads, qLen, d], seed);
          const k = seededTensor([batch, kvHeads, kvLen, d], seed + 1);
          const sign = (x: number) => (x > 0 ? 1 : -1);
          const expected: number[] = [];
          for (let b = 0; b < batch; b++)
            for (let h = 0; h < heads; h++)
              for (let i = 0; i < qLen; i++)
                for (let j = 0; j < kvLen; j++) {
                  let s = 0;
                  const kh = Math.floor(h / group);
                  for (let t = 0; t < d; t++) {
                    s +=
                      sign(q.data[((b * heads + h) * qLen + i) * d + t]!) *
                      sign(k.data[((b * kvHeads + kh) * kvLen + j) * d + t]!);
                  }
                  expected.push(s);
                }
          const got = hammingSimilarity(q.tensor, k.tensor);
          expect(got.shape).toEqual([batch, heads, qLen, kvLen]);
          expect(Array.from(got.dataSync())).toEqual(expected);
          tf.dispose([q.tensor, k.tensor, got]);
        },
      ),
      { numRuns: 40, seed: 77 },
    );
  });

  it('hand-computed case, zeros counted as −1, leak-free, shape errors', () => {
    const q = tf.tensor4d([[[[0.3, -2, 0]]]]); // (+, −, −)
    const k = tf.tensor4d([
      [
        [
          [1, 1, -0.5],
          [-1, -3, 0.2],
        ],
      ],
    ]); // (+, +, −), (−, −, +)
    expect(Array.from(hammingSimilarity(q, k).dataSync())).toEqual([1, -1]);
    expectNoLeaks(() => hammingSimilarity(q, k));
    const k2 = tf.zeros([1, 1, 2, 4]);
    expect(() => hammingSimilarity(q, k2)).toThrow(/hammingSimilarity: `k.shape\[3\] \(d\)` must be 3/);
    const q3 = tf.zeros([1, 3, 1, 3]);
    const k3 = tf.zeros([1, 2, 1, 3]);
    expect(() => hammingSimilarity(q3, k3)).toThrow(
      /`k.shape\[1\] \(kv heads\)` must be a divisor of 3, received 2/,
    );
    tf.dispose([q, k, k2, q3, k3]);
  });
});
