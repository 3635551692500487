import { type TernaryMatMulAttrs, ternaryMatMulKernel, ternaryWordsPerRow } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { referenceFallback } from './kernel-fallback.js';
import { TernaryMatMulProgram } from './ternary-matmul-program.js';
import { MAX_WORKGROUPS_PER_DIMENSION, type WebGPUBackendLike } from './webgpu-program.js';

/** Largest K whose int8 × ternary sums stay exact in f32 after the i32 accumulation (as core's reference). */
const MAX_EXACT_K = 2 ** 24 / 128;

function isTensor(t: tf.TensorInfo | undefined, dtype: string, shape: number[]): boolean {
  return (
    t !== undefined &&
    t.dtype === dtype &&
    t.shape.length === shape.length &&
    shape.every((s, i) => t.shape[i] === s)
  );
}

/**
 * The `webgpu` kernel of core's `EATernaryMatMul` (BitNet b1.58, https://arxiv.org/abs/2402.17764): see
 * {@link TernaryMatMulProgram}. Inputs the kernel does not take run core's reference (which raises the
 * error), with a one-time warning. Forward only.
 *
 * @example
 * ```ts
 * tf.registerKernel(ternaryMatMulWebGPU);
 * const y = ternaryMatMulKernel.run({ activations, weights, weightScale, activationScales },
 *   { k: 2048, n: 512, format: 'i2s' });
 * ```
 */
export const ternaryMatMulWebGPU: tf.KernelConfig = {
  kernelName: ternaryMatMulKernel.name,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { k, n, format } = (attrs ?? {}) as Partial<TernaryMatMulAttrs>;
    const fallback = (reason: string) =>
      referenceFallback(ternaryMatMulKernel, 'webgpu', reason, inputs, attrs);
    const a = inputs.activations;
    const valid =
      typeof k === 'number' &&
      Number.isInteger(k) &&
      k >= 1 &&
      k <= MAX_EXACT_K &&
      typeof n === 'number' &&
      Number.isInteger(n) &&
      n >= 1 &&
      (format === 'i2s' || format === 'tq1') &&
      a !== undefined &&
      a.shape.length === 2;
    if (!valid) return fallback('inputs the kernel does not take (the reference validates them)');
    const m = a.shape[0]!;
    const words = ternaryWordsPerRow(k, format);
    const shapesOk =
      isTensor(a, 'int32', [m, k]) &&
      isTensor(inputs.weights, 'int32', [n, words]) &&
      isTensor(inputs.weightScale, 'float32', []) &&
      isTensor(inputs.activationScales, 'float32', [m]);
    if (!shapesOk || m === 0)
      return fallback('inputs the kernel does not take (the reference validates them)');
    const program = new TernaryMatMulProgram({ m, k, n, words, format });
    if (program.dispatch[1] > MAX_WORKGROUPS_PER_DIMENSION)
      return fallback('more workgroups than one dispatch allows');
    return (backend as WebGPUBackendLike).runWebGPUProgram(
      program,
      [a, inputs.weights!, inputs.weightScale!, inputs.activationScales!],
      'float32',
    );
  },
};
