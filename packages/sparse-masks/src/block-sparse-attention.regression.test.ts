import { scaledDotProductAttention } from '@efficient-attention/core';
import { describeBackends, referenceAttention } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { blockSparseAttention } from './block-sparse-attention.js';
import { createBlockMask } from './create-block-mask.js';
import { longformer } from './patterns/longformer.js';

/**
 * Counterexamples the fuzz suite (sparse-masks.fuzz.test.ts) found, kept as named tests. Issue 21's NaN
 * rule: outputs follow test-utils' float64 referenceAttention.
 */
describeBackends('blockSparseAttention regressions (fuzz)', () => {
  // Fuzz counterexample: longformer({ after: 0 }), qLen = kvLen = 1, a +∞ in q against a negative key
  // component: the only visible score is −∞, so the float64 reference gives exp(−∞ − (−∞)) = NaN;
  // blockSparseAttention gives 0 (a silent zero, as if the row were masked) while scaledDotProductAttention
  // gives NaN. Fixed by core's NonFiniteScoreRows on the reference path.
  it('a row whose only visible score is −∞ (an infinite query) gives NaN, as the reference (not 0)', () => {
    const q = tf.tensor([Number.POSITIVE_INFINITY, 0.5, -0.25, 1], [1, 1, 1, 4]);
    const k = tf.tensor([-0.75, -0.5, 0.25, 1], [1, 1, 1, 4]); // q·k = −∞
    const v = tf.tensor([2, -1], [1, 1, 1, 2]);
    const expected = referenceAttention({
      q: q.dataSync(),
      k: k.dataSync(),
      v: v.dataSync(),
      batch: 1,
      heads: 1,
      kvHeads: 1,
      qLen: 1,
      kvLen: 1,
      headDim: 4,
      valueDim: 2,
    }).output;
    expect(Array.from(expected)).toEqual([Number.NaN, Number.NaN]);
    const dense = scaledDotProductAttention(q, k, v);
    expect(Array.from(dense.dataSync())).toEqual([Number.NaN, Number.NaN]);
    const out = blockSparseAttention(
      q,
      k,
      v,
      createBlockMask(longformer({ after: 0 }), 1, 1, { blockSize: 16 }),
    );
    try {
      expect(Array.from(out.dataSync())).toEqual([Number.NaN, Number.NaN]);
    } finally {
      tf.dispose([q, k, v, dense, out]);
    }
  });
});
