import '@tensorflow/tfjs-backend-cpu';
import { packTernary } from '@efficient-attention/bitnet';
import {
  type TernaryPackingFormat,
  ternaryMatMulKernel,
  ternaryWordsPerRow,
} from '@efficient-attention/core';
import { expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { onCpu, useDawnWebGPU } from '../../runtime/webgpu/testing/dawn-webgpu.js';
import { registerWebGPUKernels } from '../register-kernels.js';

/**
 * Tolerance: the integer sums are exact on both sides (i32 here, integers below 2^24 in the reference's f32
 * matMuls) and both scale in the same order, so results agree to float32 rounding of the two products.
 */
const ATOL = 0;
const RTOL = 1e-6;

/** xorshift32 integers in [lo, hi]. */
function integers(count: number, seed: number, lo: number, hi: number): Int32Array {
  let s = seed >>> 0 || 1;
  return Int32Array.from({ length: count }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return lo + ((s >>> 0) % (hi - lo + 1));
  });
}

/** [M, K, N, format, raw]: raw = random 32-bit words (i2s code 3, tq1 bytes ≥ 243 included). */
const CASES: Array<[number, number, number, TernaryPackingFormat, boolean]> = [
  [3, 100, 17, 'i2s', false],
  [1, 2048, 40, 'i2s', false],
  [5, 77, 9, 'tq1', false],
  [2, 1000, 33, 'tq1', false],
  [4, 64, 8, 'i2s', true],
  [4, 103, 8, 'tq1', true],
];

const dawn = await useDawnWebGPU();

describe('EATernaryMatMul on webgpu (WGSL, Dawn in Node)', () => {
  if (!dawn.available) {
    console.warn(`WebGPU suite skipped: ${dawn.reason}`);
    it.skip(`skipped: ${dawn.reason}`, () => {});
    return;
  }
  registerWebGPUKernels();

  it.each(CASES)(
    'equals core reference (cpu): M%i K%i N%i %s (raw words: %s)',
    async (m, k, n, format, raw) => {
      expect(tf.getKernel(ternaryMatMulKernel.name, 'webgpu')).toBeDefined();
      const words = ternaryWordsPerRow(k, format);
      const packed = raw
        ? integers(n * words, m + k + n, -(2 ** 31), 2 ** 31 - 1)
        : packTernary(integers(n * k, k + n, -1, 1), format, { rowLength: k }).words;
      const activations = integers(m * k, m * k, -128, 127);
      const scales = Float32Array.from(integers(m, m + 1, 1, 1000), (x) => x / 997);
      const make = () => ({
        activations: tf.tensor2d(activations, [m, k], 'int32'),
        weights: tf.tensor2d(packed, [n, words], 'int32'),
        weightScale: tf.scalar(0.0371),
        activationScales: tf.tensor1d(scales),
      });
      const attrs = { k, n, format };
      const expected = await onCpu(() =>
        tf.tidy(() => ternaryMatMulKernel.reference(make(), attrs).dataSync().slice()),
      );
      const before = tf.memory().numTensors;
      const inputs = make();
      const out = ternaryMatMulKernel.run(inputs, attrs);
      expect(out.shape).toEqual([m, n]);
      expectTensorsClose(await out.data(), expected, { atol: ATOL, rtol: RTOL });
      tf.dispose([out, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
