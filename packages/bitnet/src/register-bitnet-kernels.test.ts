import {
  createRandom,
  hasKernelFor,
  type TernaryPackingFormat,
  ternaryMatMul,
  ternaryMatMulKernel,
  ternaryWordsPerRow,
} from '@efficient-attention/core';
import { describeBackends, expectNoLeaks } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { registerBitnetKernels } from './register-bitnet-kernels.js';

describeBackends('registerBitnetKernels', (backend) => {
  it('registers the cpu kernel once, and only for cpu', () => {
    registerBitnetKernels();
    registerBitnetKernels(); // idempotent
    expect(hasKernelFor(ternaryMatMulKernel, 'cpu')).toBe(true);
    expect(hasKernelFor(ternaryMatMulKernel, 'wasm')).toBe(false);
    expect(hasKernelFor(ternaryMatMulKernel)).toBe(backend === 'cpu');
  });

  it("EATernaryMatMul equals core's reference bit for bit (random shapes, arbitrary words)", () => {
    registerBitnetKernels();
    // Arbitrary int32 words include i2s code 3 and tq1 bytes ≥ 243: both paths define them the same way.
    fc.assert(
      fc.property(
        fc.record({
          m: fc.integer({ min: 1, max: 4 }),
          k: fc.integer({ min: 1, max: 80 }),
          n: fc.integer({ min: 1, max: 9 }),
          format: fc.constantFrom<TernaryPackingFormat>('i2s', 'tq1'),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        ({ m, k, n, format, seed }) => {
          const rng = createRandom(seed);
          const words = ternaryWordsPerRow(k, format);
          const inputs = {
            activations: tf.tensor2d(
              Int32Array.from({ length: m * k }, () => rng.int(256) - 128),
              [m, k],
              'int32',
            ),
            weights: tf.tensor2d(
              Int32Array.from({ length: n * words }, () => (rng.int(65536) << 16) | rng.int(65536)),
              [n, words],
              'int32',
            ),
            weightScale: tf.scalar(0.01 + rng.uniform()),
            activationScales: tf.tensor1d(Float32Array.from({ length: m }, () => rng.uniform() / 127)),
          };
          const attrs = { k, n, format };
          const fast = ternaryMatMul(inputs, attrs);
          const ref = ternaryMatMulKernel.reference(inputs, attrs);
          expect(fast.shape).toEqual([m, n]);
          expect(Array.from(fast.dataSync())).toEqual(Array.from(ref.dataSync()));
          expectNoLeaks(() => ternaryMatMul(inputs, attrs));
          tf.dispose([fast, ref, ...Object.values(inputs)]);
        },
      ),
      { numRuns: 40, seed: 99 },
    );
  });
});
