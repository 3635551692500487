import { scaledDotProductAttention } from '@efficient-attention/core';
import {
  describeBackends,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { createMask, createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { causal } from './causal.js';

describe('causal', () => {
  it('allows kv ≤ q, and kv ≤ q + kvLen − qLen when bottom-right aligned', () => {
    expectPicture(
      causal(),
      `
      █···
      ██··
      ███·
      ████`,
    );
    expectPicture(
      causal({ qLen: 2, kvLen: 4 }),
      `
      ███·
      ████`,
    );
    // More queries than keys: the first rows see nothing.
    expectPicture(
      causal({ qLen: 4, kvLen: 2 }),
      `
      ··
      ··
      █·
      ██`,
    );
  });

  it('has an enumerator that agrees with the predicate (lengths not multiple of the block, cross-attention)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (qLen, kvLen, blockSize, aligned) => {
          // causal() without lengths is defined for self-attention only (qLen = kvLen).
          const kv = aligned ? kvLen : qLen;
          const pattern = aligned ? causal({ qLen, kvLen }) : causal();
          expectEnumeratorAgrees(pattern, { qLen, kvLen: kv, blockSize, seed: qLen * 97 + kv });
        },
      ),
      { numRuns: 25, seed: 1 },
    );
  });

  it('visits the lower triangle of blocks and refuses other lengths or half-given lengths', () => {
    const mask = createBlockMask(causal(), 1024, 1024, { blockSize: 128 });
    expect(mask.sparsity()).toBeCloseTo(1 - 36 / 64, 12);
    expect(() => createBlockMask(causal({ qLen: 4, kvLen: 8 }), 4, 9)).toThrow(
      /built for \(qLen 4, kvLen 8\), received "qLen 4, kvLen 9"/,
    );
    expect(() => causal({ qLen: 4 })).toThrow(/give both `qLen` and `kvLen`/);
    expect(() => causal({ qLen: 0, kvLen: 3 })).toThrow(/`options.qLen` must be an integer ≥ 1, received 0/);
  });
});

describeBackends('causal against core', () => {
  it('is bottom-right aligned like core’s causal: true when qLen ≠ kvLen (same attention output)', () => {
    for (const [qLen, kvLen] of [
      [3, 7],
      [1, 5],
      [6, 4],
      [5, 5],
    ] as const) {
      const q = seededTensor([1, 2, qLen, 4], qLen);
      const k = seededTensor([1, 2, kvLen, 4], kvLen + 10);
      const v = seededTensor([1, 2, kvLen, 3], kvLen + 20);
      const expected = scaledDotProductAttention(q.tensor, k.tensor, v.tensor, { causal: true });
      // float64 check of core's convention: query i sees kv ≤ i + kvLen − qLen.
      const ref = referenceAttention(
        {
          q: q.data,
          k: k.data,
          v: v.data,
          batch: 1,
          heads: 2,
          kvHeads: 2,
          qLen,
          kvLen,
          headDim: 4,
          valueDim: 3,
        },
        { causal: true },
      );
      expectTensorsClose(expected, ref.output, { atol: 1e-5, rtol: 1e-4 });
      const pattern = causal({ qLen, kvLen });
      const dense = createMask(pattern, qLen, kvLen);
      const viaTensor = scaledDotProductAttention(q.tensor, k.tensor, v.tensor, { mask: dense });
      const viaPredicate = scaledDotProductAttention(q.tensor, k.tensor, v.tensor, { mask: pattern });
      expect(Array.from(viaTensor.dataSync())).toEqual(Array.from(expected.dataSync()));
      expect(Array.from(viaPredicate.dataSync())).toEqual(Array.from(expected.dataSync()));
      if (qLen === kvLen) {
        const plain = scaledDotProductAttention(q.tensor, k.tensor, v.tensor, { mask: causal() });
        expect(Array.from(plain.dataSync())).toEqual(Array.from(expected.dataSync()));
        plain.dispose();
      }
      tf.dispose([q.tensor, k.tensor, v.tensor, expected, dense, viaTensor, viaPredicate]);
    }
  });

  it('refuses to build causal() without lengths for qLen ≠ kvLen (it would be top-left aligned)', () => {
    expect(createMaskArray(causal(), 3, 3)[0]![0]![0]).toEqual([true, false, false]);
    for (const build of [() => createMask(causal(), 2, 4), () => createBlockMask(causal(), 4, 2)]) {
      expect(build).toThrow(/Build causal\(\{ qLen: \d+, kvLen: \d+ \}\)/);
      expect(build).toThrow(/bottom-right/);
    }
  });
});
