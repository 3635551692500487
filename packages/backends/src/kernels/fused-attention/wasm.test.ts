import { fusedAttentionKernel, hasKernelFor } from '@efficient-attention/core';
import {
  describeBackends,
  expectCloseWithNaNs,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttentionGrad,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';

// Random shapes: batch, heads, kv heads (grouped-query), lengths on and off the 4-row / 8-key / 128-key tile
// edges, head dims that need padding, causal with qLen ≤ kvLen and qLen > kvLen (rows with no key → 0).
const CASES = [
  { b: 1, h: 2, hkv: 2, n: 37, m: 37, d: 16, dv: 16, causal: false },
  { b: 2, h: 4, hkv: 2, n: 130, m: 130, d: 64, dv: 64, causal: true },
  { b: 1, h: 3, hkv: 1, n: 19, m: 300, d: 5, dv: 7, causal: true },
  { b: 1, h: 2, hkv: 1, n: 300, m: 257, d: 24, dv: 40, causal: false },
  { b: 1, h: 1, hkv: 1, n: 50, m: 9, d: 8, dv: 3, causal: true },
  { b: 1, h: 2, hkv: 2, n: 1, m: 1000, d: 32, dv: 32, causal: false },
];

for (const threads of [1, 2]) {
  describeBackends(`fusedAttentionWasm (${threads} thread${threads > 1 ? 's' : ''})`, (backend) => {
    beforeAll(async () => {
      await registerWasmKernels({ threads });
    });
    afterAll(() => unregisterWasmKernels());

    it('is registered for the backend', () => {
      expect(hasKernelFor(fusedAttentionKernel, backend)).toBe(true);
    });

    CASES.forEach((c, i) => {
      it(`equals the tfjs-ops reference within float32 tolerance (case ${i}: ${JSON.stringify(c)})`, () => {
        const q = seededTensor([c.b, c.h, c.n, c.d], 11 + i).tensor;
        const k = seededTensor([c.b, c.hkv, c.m, c.d], 23 + i).tensor;
        const v = seededTensor([c.b, c.hkv, c.m, c.dv], 37 + i).tensor;
        const attrs = { scale: 1 / Math.sqrt(c.d), causal: c.causal };
        const expected = fusedAttentionKernel.reference({ q, k, v }, attrs);
        expectNoLeaks(() => {
          const out = fusedAttentionKernel.run({ q, k, v }, attrs);
          // Softmax-weighted sums of N(0, 1) values in float32: 2e-5 absolute covers the different
          // summation order (online softmax, polynomial exp2 with 1.3e-7 relative error).
          expectTensorsClose(out, expected, { atol: 2e-5, rtol: 1e-4 });
          return out;
        });
        tf.dispose([q, k, v, expected]);
      });
    });

    CASES.forEach((c, i) => {
      it(`returns each row's log-sum-exp as its second output, as the float64 reference (case ${i})`, () => {
        const q = seededTensor([c.b, c.h, c.n, c.d], 11 + i);
        const k = seededTensor([c.b, c.hkv, c.m, c.d], 23 + i);
        const v = seededTensor([c.b, c.hkv, c.m, c.dv], 37 + i);
        const attrs = { scale: 1 / Math.sqrt(c.d), causal: c.causal };
        const dims = {
          batch: c.b,
          heads: c.h,
          kvHeads: c.hkv,
          qLen: c.n,
          kvLen: c.m,
          headDim: c.d,
          valueDim: c.dv,
        };
        const expected = referenceAttentionGrad(
          { ...dims, q: q.data, k: k.data, v: v.data },
          new Float64Array(c.b * c.h * c.n * c.dv),
          attrs,
        ).logSumExp;
        let got: ArrayLike<number> = [];
        expectNoLeaks(() => {
          const outputs = fusedAttentionKernel.runOutputs({ q: q.tensor, k: k.tensor, v: v.tensor }, attrs);
          expect(outputs.map((t) => t.shape)).toEqual([
            [c.b, c.h, c.n, c.dv],
            [c.b, c.h, c.n],
          ]);
          got = outputs[1]!.dataSync();
          return outputs;
        });
        // Natural log of float32 sums of exponentials (the kernel works in log2): |L| ≲ 10 here.
        expectCloseWithNaNs(got, expected, { atol: 1e-5, rtol: 1e-5 }, 'logSumExp');
        // Case 4 (causal, 50 queries over 9 keys): rows 0..40 see no key, so their log-sum-exp is −∞.
        if (i === 4) expect(Array.from(got).filter((x) => x === Number.NEGATIVE_INFINITY).length).toBe(41);
        tf.dispose([q.tensor, k.tensor, v.tensor]);
      });
    });

    it('handles large logits without overflow (online softmax rescaling)', () => {
      const q = tf.mul(seededTensor([1, 1, 64, 16], 5).tensor, 30);
      const k = seededTensor([1, 1, 300, 16], 6).tensor;
      const v = seededTensor([1, 1, 300, 16], 7).tensor;
      const attrs = { scale: 1, causal: false };
      const out = fusedAttentionKernel.run({ q, k, v }, attrs);
      const expected = fusedAttentionKernel.reference({ q, k, v }, attrs);
      expectTensorsClose(out, expected, { atol: 1e-4, rtol: 1e-4 });
      tf.dispose([q, k, v, out, expected]);
    });
  });
}
