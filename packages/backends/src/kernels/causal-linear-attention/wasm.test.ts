import { causalLinearAttentionKernel, hasKernelFor } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';

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

    it('returns 0, not NaN, where the normaliser is 0 (eps floor)', () => {
      const phi = tf.zeros([1, 1, 4, 3]);
      const v = tf.ones([1, 1, 4, 2]);
      const out = causalLinearAttentionKernel.run({ phiQ: phi, phiK: phi, v }, { chunkSize: 2, eps: 1e-12 });
      expect(Array.from(out.dataSync())).toEqual(new Array(8).fill(0));
      tf.dispose([phi, v, out]);
    });
  });
}
