import { describe, expect, it } from 'vitest';
import { finiteDifferenceGradient } from './finite-difference.js';
import { referenceAttention } from './reference-attention.js';
import { referenceAttentionGrad } from './reference-attention-grad.js';
import { seededNormalValues } from './tensors.js';

// The analytic float64 gradient against central differences of the float64 forward (both float64: the
// finite-difference error at eps = 1e-5 is ~1e-9 here; tolerance 1e-6 absolute).
describe('referenceAttentionGrad', () => {
  const cases = [
    { batch: 1, heads: 2, kvHeads: 1, qLen: 3, kvLen: 5, headDim: 4, valueDim: 3, causal: true, seed: 1 },
    { batch: 2, heads: 2, kvHeads: 2, qLen: 4, kvLen: 4, headDim: 3, valueDim: 2, causal: false, seed: 2 },
    { batch: 1, heads: 4, kvHeads: 2, qLen: 5, kvLen: 3, headDim: 2, valueDim: 4, causal: true, seed: 3 },
  ];
  for (const c of cases) {
    it(`matches central differences (${JSON.stringify(c)})`, () => {
      const q = Float64Array.from(seededNormalValues(c.batch * c.heads * c.qLen * c.headDim, c.seed));
      const k = Float64Array.from(seededNormalValues(c.batch * c.kvHeads * c.kvLen * c.headDim, c.seed + 10));
      const v = Float64Array.from(
        seededNormalValues(c.batch * c.kvHeads * c.kvLen * c.valueDim, c.seed + 20),
      );
      const dOut = Float64Array.from(
        seededNormalValues(c.batch * c.heads * c.qLen * c.valueDim, c.seed + 30),
      );
      // A mask that leaves row 0 of every head fully masked (zero gradient) and drops one more key.
      const allowed = (_b: number, _h: number, i: number, j: number) => i !== 0 && j !== 1;
      const options = { causal: c.causal, allowed };
      const dims = { batch: c.batch, heads: c.heads, kvHeads: c.kvHeads, qLen: c.qLen, kvLen: c.kvLen };
      const shape = { ...dims, headDim: c.headDim, valueDim: c.valueDim };
      const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array) => {
        const { output } = referenceAttention({ ...shape, q: qq, k: kk, v: vv }, options);
        return output.reduce((s, o, i) => s + o * dOut[i]!, 0);
      };
      const grads = referenceAttentionGrad({ ...shape, q, k, v }, dOut, options);
      const fd = {
        dq: finiteDifferenceGradient((x) => loss(x, k, v), q),
        dk: finiteDifferenceGradient((x) => loss(q, x, v), k),
        dv: finiteDifferenceGradient((x) => loss(q, k, x), v),
      };
      for (const key of ['dq', 'dk', 'dv'] as const) {
        const got = grads[key];
        expect(got.length).toBe(fd[key].length);
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - fd[key][i]!)).toBeLessThan(1e-6);
      }
      // Row 0 sees nothing: its log-sum-exp is −∞ and its query gradient is exactly 0.
      expect(grads.logSumExp[0]).toBe(Number.NEGATIVE_INFINITY);
      for (let t = 0; t < c.headDim; t++) expect(grads.dq[t]).toBe(0);
      expect(grads.dq.some((x) => x !== 0)).toBe(true);
    });
  }
});
