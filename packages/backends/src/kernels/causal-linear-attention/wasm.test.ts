import { causalLinearAttentionKernel, hasKernelFor } from '@efficient-attention/core';
import { linearAttention } from '@efficient-attention/linear-attention';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceCausalLinearAttention,
  referenceCausalLinearAttentionGrad,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';
import { expectNaNRule } from '../fused-attention/testing/nan-rule-cases.js';

/** Causal linear attention in float64 from its definition: out_i = Σ_{j≤i} (φq_i·φk_j) v_j / max(Σ_{j≤i} φq_i·φk_j, eps). */
function causalLinearFloat64(
  phiQ: ArrayLike<number>,
  phiK: ArrayLike<number>,
  v: ArrayLike<number>,
  [planes, n, f, dv]: [number, number, number, number],
  eps: number,
): Float64Array {
  const out = new Float64Array(planes * n * dv);
  for (let p = 0; p < planes; p++)
    for (let i = 0; i < n; i++) {
      const num = new Float64Array(dv);
      let den = 0;
      for (let j = 0; j <= i; j++) {
        let w = 0;
        for (let t = 0; t < f; t++) w += phiQ[(p * n + i) * f + t]! * phiK[(p * n + j) * f + t]!;
        den += w;
        for (let c = 0; c < dv; c++) num[c]! += w * v[(p * n + j) * dv + c]!;
      }
      // Math.max(NaN, eps) is NaN, like the kernels' max.
      for (let c = 0; c < dv; c++) out[(p * n + i) * dv + c] = num[c]! / Math.max(den, eps);
    }
  return out;
}

const CASES = [
  { b: 1, h: 2, n: 100, f: 16, dv: 16, chunkSize: 32 },
  { b: 2, h: 3, n: 45, f: 7, dv: 5, chunkSize: 8 },
  { b: 1, h: 1, n: 300, f: 32, dv: 64, chunkSize: 64 },
];

for (const threads of [1, 2]) {
  describeBackends(`causalLinearAttentionWasm (${threads} thread${threads > 1 ? 's' : ''})`, (backend) => {
    beforeAll(async () => {
      await registerWasmKernels({ threads });
    });
    afterAll(() => unregisterWasmKernels());

    it('is registered for the backend', () => {
      expect(hasKernelFor(causalLinearAttentionKernel, backend)).toBe(true);
    });

    CASES.forEach((c, i) => {
      it(`equals the chunked tfjs-ops reference (B=${c.b} H=${c.h} N=${c.n} f=${c.f} dv=${c.dv})`, () => {
        // elu(x) + 1 features: positive, as the kernel's inputs are.
        const phiQ = tf.tidy(() => tf.add(tf.elu(seededTensor([c.b, c.h, c.n, c.f], 70 + i).tensor), 1));
        const phiK = tf.tidy(() => tf.add(tf.elu(seededTensor([c.b, c.h, c.n, c.f], 80 + i).tensor), 1));
        const v = seededTensor([c.b, c.h, c.n, c.dv], 90 + i).tensor;
        const attrs = { chunkSize: c.chunkSize, eps: 1e-6 };
        const expected = causalLinearAttentionKernel.reference({ phiQ, phiK, v }, attrs);
        expectNoLeaks(() => {
          const out = causalLinearAttentionKernel.run({ phiQ, phiK, v }, attrs);
          // Sums of up to N·f positive products in a different order than the reference's chunked matMuls.
          expectTensorsClose(out, expected, { atol: 1e-5, rtol: 2e-4 });
          return out;
        });
        tf.dispose([phiQ, phiK, v, expected]);
      });
    });

    it('follows the NaN rule: a NaN key or value at j reaches rows ≥ j only, a NaN query its row', () => {
      const [n, f, dv] = [90, 6, 5];
      const phiQ = Float32Array.from(seededTensor([1, 3, n, f], 61).data, (x) => Math.exp(x / 2));
      const phiK = Float32Array.from(seededTensor([1, 3, n, f], 62).data, (x) => Math.exp(x / 2));
      const v = Float32Array.from(seededTensor([1, 3, n, dv], 63).data);
      phiK[(0 * n + 37) * f + 2] = Number.NaN; // head 0, key 37 (inside the reference's second chunk of 32)
      v[(1 * n + 60) * dv + 3] = Number.NaN; // head 1, value 60, column 3
      phiQ[(2 * n + 20) * f] = Number.NaN; // head 2, query 20
      const t = (x: Float32Array, w: number) => tf.tensor(x, [1, 3, n, w]);
      const inputs = { phiQ: t(phiQ, f), phiK: t(phiK, f), v: t(v, dv) };
      const out = causalLinearAttentionKernel.run(inputs, { chunkSize: 32, eps: 1e-6 });
      const got = out.dataSync();
      expectNaNRule(got, causalLinearFloat64(phiQ, phiK, v, [3, n, f, dv], 1e-6), backend);
      expect(got.filter(Number.isNaN)).toHaveLength((n - 37) * dv + (n - 60) + dv);
      tf.dispose([out, ...Object.values(inputs)]);
    });

    // Unnormalised and reverse scans (the backward's building blocks), features of any sign.
    const MODES = [
      { normalize: false, reverse: false },
      { normalize: false, reverse: true },
      { normalize: true, reverse: true },
    ];
    MODES.forEach((mode, m) => {
      it(`equals the float64 definition with ${JSON.stringify(mode)}`, () => {
        const [b, h, n, f, dv] = [2, 2, 37, 6, 5];
        const q = seededTensor([b, h, n, f], 100 + m);
        const k = seededTensor([b, h, n, f], 110 + m);
        const v = seededTensor([b, h, n, dv], 120 + m);
        const positive = (x: Float64Array) => Float64Array.from(x, Math.abs);
        const phiQ = mode.normalize ? positive(q.data) : q.data;
        const phiK = mode.normalize ? positive(k.data) : k.data;
        const inputs = {
          phiQ: tf.tensor(Float32Array.from(phiQ), q.shape),
          phiK: tf.tensor(Float32Array.from(phiK), k.shape),
          v: v.tensor,
        };
        const attrs = { chunkSize: 8, eps: 1e-6, ...mode };
        expectNoLeaks(() => {
          const out = causalLinearAttentionKernel.run(inputs, attrs);
          const want = referenceCausalLinearAttention(
            { phiQ, phiK, v: v.data, planes: b * h, n, features: f, valueDim: dv },
            attrs,
          );
          // Sums of ≤ 37·6 float32 products of O(1) values of any sign.
          expectTensorsClose(out, want, { atol: 1e-4, rtol: 1e-4 });
          return out;
        });
        tf.dispose([q.tensor, k.tensor, ...Object.values(inputs)]);
      });
    });

    // Gradients through the kernels (the registered gradient runs four more kernel scans) against the float64
    // analytic gradient of the explicit O(N²) form.
    const GRAD_CASES = [
      { b: 1, h: 2, n: 61, f: 8, dv: 8, normalize: true, reverse: false },
      { b: 2, h: 1, n: 33, f: 5, dv: 3, normalize: true, reverse: true },
      { b: 1, h: 3, n: 20, f: 7, dv: 9, normalize: false, reverse: false },
      { b: 1, h: 1, n: 1, f: 3, dv: 2, normalize: true, reverse: false },
    ];
    GRAD_CASES.forEach((c, i) => {
      it(`trains through the kernel: float64 gradients (${JSON.stringify(c)})`, () => {
        const features = (seed: number) => {
          const s = seededTensor([c.b, c.h, c.n, c.f], seed);
          const data = c.normalize ? Float64Array.from(s.data, (x) => Math.exp(x / 2)) : s.data;
          s.tensor.dispose();
          return { tensor: tf.tensor(Float32Array.from(data), s.shape), data };
        };
        const phiQ = features(200 + i);
        const phiK = features(210 + i);
        const v = seededTensor([c.b, c.h, c.n, c.dv], 220 + i);
        const w = seededTensor([c.b, c.h, c.n, c.dv], 230 + i);
        const attrs = { chunkSize: 16, eps: 1e-6, normalize: c.normalize, reverse: c.reverse };
        const loss = (a: tf.Tensor, k: tf.Tensor, x: tf.Tensor) =>
          tf.sum(tf.mul(w.tensor, causalLinearAttentionKernel.run({ phiQ: a, phiK: k, v: x }, attrs)));
        const want = referenceCausalLinearAttentionGrad(
          {
            phiQ: phiQ.data,
            phiK: phiK.data,
            v: v.data,
            planes: c.b * c.h,
            n: c.n,
            features: c.f,
            valueDim: c.dv,
          },
          w.data,
          attrs,
        );
        expectNoLeaks(() => {
          const grads = tf.grads(loss)([phiQ.tensor, phiK.tensor, v.tensor]);
          // float32 scans of ≤ 61 positions of O(1) products against float64.
          const tol = { atol: 2e-4, rtol: 1e-3 };
          expectTensorsClose(grads[0]!, want.dPhiQ, tol);
          expectTensorsClose(grads[1]!, want.dPhiK, tol);
          expectTensorsClose(grads[2]!, want.dV, tol);
          return grads;
        });
        tf.dispose([phiQ.tensor, phiK.tensor, v.tensor, w.tensor]);
      });
    });

    it('trains causal linearAttention (grouped-query heads, qLen ≠ kvLen) as its reference path does', async () => {
      // The mechanism pads, repeats kv heads and maps features around the kernel: its gradients through the
      // kernel's registered gradient equal tfjs autodiff of the chunked reference (kernels unregistered).
      const q = seededTensor([1, 4, 23, 8], 301).tensor;
      const k = seededTensor([1, 2, 31, 8], 302).tensor;
      const v = seededTensor([1, 2, 31, 6], 303).tensor;
      const dOut = seededTensor([1, 4, 23, 6], 304).tensor;
      const grads = () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          linearAttention(a, b, c, { causal: true, chunkSize: 8 }),
        )([q, k, v], dOut);
      expectNoLeaks(() => grads());
      const fast = grads();
      let reference: tf.Tensor[] = [];
      unregisterWasmKernels();
      try {
        expect(hasKernelFor(causalLinearAttentionKernel, backend)).toBe(false);
        reference = grads();
      } finally {
        await registerWasmKernels({ threads });
      }
      // Both float32; the kernel scans position by position, the reference chunk by chunk.
      fast.forEach((g, i) => {
        expectTensorsClose(g, reference[i]!, { atol: 1e-5, rtol: 1e-4 });
      });
      tf.dispose([q, k, v, dOut, ...fast, ...reference]);
    });

    it('returns 0, not NaN, where the normaliser is 0 (eps floor)', () => {
      const phi = tf.zeros([1, 1, 4, 3]);
      const v = tf.ones([1, 1, 4, 2]);
      const out = causalLinearAttentionKernel.run({ phiQ: phi, phiK: phi, v }, { chunkSize: 2, eps: 1e-12 });
      expect(Array.from(out.dataSync())).toEqual(new Array(8).fill(0));
      tf.dispose([phi, v, out]);
    });
  });
}
