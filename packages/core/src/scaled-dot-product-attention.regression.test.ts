import {
  describeBackends,
  expectCloseWithNaNs,
  fuzzAttentionInputs,
  referenceAttention,
} from '@efficient-attention/test-utils';
import { it } from 'vitest';
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
});
