import {
  hasKernelFor,
  ternaryMatMul,
  ternaryMatMulKernel,
  ternaryWordsPerRow,
} from '@efficient-attention/core';
import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from './register-wasm-kernels.js';

/** xorshift32: deterministic words and activations. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

// Random packed words exercise every code, including those no packer emits (i2s code 3, tq1 bytes ≥ 243),
// which the kernel must decode exactly as the reference does.
const CASES = [
  { m: 1, k: 2048, n: 64, format: 'i2s' as const },
  { m: 3, k: 37, n: 5, format: 'i2s' as const },
  { m: 2, k: 100, n: 9, format: 'tq1' as const },
  { m: 1, k: 1, n: 3, format: 'tq1' as const },
  { m: 4, k: 333, n: 17, format: 'tq1' as const },
];

describeBackends('ternaryMatMulWasm', (backend) => {
  beforeAll(async () => {
    await registerWasmKernels({ threads: 1 });
  });
  afterAll(() => unregisterWasmKernels());

  it('is registered for the backend', () => {
    expect(hasKernelFor(ternaryMatMulKernel, backend)).toBe(true);
  });

  CASES.forEach((c, i) => {
    it(`equals the reference bit for bit (${c.format}, M=${c.m} K=${c.k} N=${c.n})`, () => {
      const next = random(1000 + i);
      const words = ternaryWordsPerRow(c.k, c.format);
      const inputs = {
        activations: tf.tensor2d(
          Int32Array.from({ length: c.m * c.k }, () => (next() % 256) - 128),
          [c.m, c.k],
          'int32',
        ),
        weights: tf.tensor2d(
          Int32Array.from({ length: c.n * words }, () => next() | 0),
          [c.n, words],
          'int32',
        ),
        weightScale: tf.scalar(0.37),
        activationScales: tf.tensor1d(Float32Array.from({ length: c.m }, () => (next() % 1000) / 997)),
      };
      const attrs = { k: c.k, n: c.n, format: c.format };
      const expected = ternaryMatMulKernel.reference(inputs, attrs);
      expectNoLeaks(() => {
        const out = ternaryMatMul(inputs, attrs);
        expectTensorsClose(out, expected, { atol: 0, rtol: 0 });
        return out;
      });
      tf.dispose([expected, ...Object.values(inputs)]);
    });
  });
});
