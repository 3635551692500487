import {
  describeBackends,
  expectCloseWithNaNs,
  fuzzAttentionInputs,
  referenceAttention,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { memoryEfficientAttention } from './memory-efficient-attention.js';
import { scaledDotProductAttention } from './scaled-dot-product-attention.js';

/**
 * Counterexamples of the long fuzz run (core.fuzz.test.ts, FUZZ_RUNS=300), kept as named tests: an infinite
 * query or key component makes scores ±∞, and the paths disagreed with the float64 referenceAttention (the
 * issue-21 NaN rule) — a finite output where it has NaN, or NaN where it has a finite value. Fixed by
 * NonFiniteScoreRows on the tfjs-ops paths (the kernels already held it: backends.fuzz injects ±∞ in q, k).
 */
describeBackends('attention with infinite q or k (fuzz regressions)', () => {
  it('scaledDotProductAttention: q[0] = −∞, causal, qLen 2, kvLen 3 → NaN where the reference has it', () => {
    const s = { batch: 1, heads: 1, kvHeads: 1, qLen: 2, kvLen: 3, headDim: 16, valueDim: 1 };
    const x = fuzzAttentionInputs(s, 0, [{ input: 'q', index: 0, value: Number.NEGATIVE_INFINITY }]);
    try {
      const out = scaledDotProductAttention(x.q, x.k, x.v, { causal: true });
      const got = out.dataSync();
      out.dispose();
      expectCloseWithNaNs(got, referenceAttention(x.reference, { causal: true }).output);
    } finally {
      x.dispose();
    }
  });

  it('memoryEfficientAttention: k[0] = −∞, chunks of 1 → the reference (key 0 weighs 0), not NaN', () => {
    const s = { batch: 1, heads: 1, kvHeads: 1, qLen: 1, kvLen: 2, headDim: 16, valueDim: 16 };
    const x = fuzzAttentionInputs(s, 0, [{ input: 'k', index: 0, value: Number.NEGATIVE_INFINITY }]);
    try {
      const out = memoryEfficientAttention(x.q, x.k, x.v, { queryChunkSize: 1, keyChunkSize: 1 });
      const got = out.dataSync();
      out.dispose();
      expectCloseWithNaNs(got, referenceAttention(x.reference).output);
    } finally {
      x.dispose();
    }
  });

  // Found by the experiments' tests (a diverged run): with a NaN input, tf.grad through the tfjs-ops paths threw
  // "gradient function not found for LogicalOr" (NonFiniteScoreRows' flags were on the tape). The flags are
  // now computed off the tape: the gradient exists. (Through tfjs autograd a masked NaN key still reaches
  // every row's dq by matMul's backward, 0 · NaN; the backward kernels keep it out — tested in backends.)
  it('tf.grad through the tfjs-ops paths with a NaN key: a gradient, no tape error', () => {
    const q = tf.randomNormal([1, 1, 4, 2], 0, 1, 'float32', 1);
    const k = tf.tensor4d([0.1, 0.2, 0.3, 0.4, Number.NaN, 0.5, 0.6, 0.7], [1, 1, 4, 2]); // key 2 is NaN
    const paths = {
      sdpa: (x: tf.Tensor) => scaledDotProductAttention(x, k, k, { causal: true }),
      memoryEfficient: (x: tf.Tensor) =>
        memoryEfficientAttention(x, k, k, { causal: true, queryChunkSize: 2, keyChunkSize: 1 }),
    };
    for (const [name, f] of Object.entries(paths)) {
      const g = tf.grad((x: tf.Tensor) => tf.sum(f(x)))(q);
      const rows = g.arraySync() as number[][][][];
      expect(g.shape, name).toEqual([1, 1, 4, 2]);
      expect(rows[0]![0]![3]!.some(Number.isNaN), `${name} row 3 sees the NaN key`).toBe(true);
      g.dispose();
    }
    tf.dispose([q, k]);
  });

  // Long-run counterexample (FUZZ_RUNS=3000, seed 424242): key 0 has score −∞ (k[0] = −∞) and value −∞
  // (v[0] = −∞). The reference weighs the key exactly 0 and 0 · (−∞) is NaN in its column; the tfjs-ops paths
  // gave −∞ (matMulVisible counted the key as a positive weight). Now a visible zero-weight key adds NaN.
  it('a visible key with a −∞ score and an infinite value puts NaN in its column, as the reference (all three paths)', () => {
    const s = { batch: 1, heads: 1, kvHeads: 1, qLen: 2, kvLen: 7, headDim: 16, valueDim: 16 };
    const x = fuzzAttentionInputs(s, 0, [
      { input: 'v', index: 0, value: Number.NEGATIVE_INFINITY },
      { input: 'k', index: 0, value: Number.NEGATIVE_INFINITY },
    ]);
    try {
      const expected = referenceAttention(x.reference, { causal: true }).output;
      expect(expected.some(Number.isNaN), 'the case exercises a NaN column').toBe(true);
      for (const [name, run] of [
        ['scaledDotProductAttention', () => scaledDotProductAttention(x.q, x.k, x.v, { causal: true })],
        [
          'memoryEfficientAttention',
          () => memoryEfficientAttention(x.q, x.k, x.v, { causal: true, queryChunkSize: 1, keyChunkSize: 1 }),
        ],
      ] as const) {
        const out = run();
        const got = out.dataSync();
        out.dispose();
        expectCloseWithNaNs(got, expected, {}, name);
      }
    } finally {
      x.dispose();
    }
  });
});
