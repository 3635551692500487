import { ternaryMatMulKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { referenceFallback, ternaryMatMulShape } from './kernel-fallback.js';
import { TernaryMatMulProgram } from './ternary-matmul-program.js';
import { MAX_WORKGROUPS_PER_DIMENSION, type WebGPUBackendLike } from './webgpu-program.js';

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
    const fallback = (reason: string) =>
      referenceFallback(ternaryMatMulKernel, 'webgpu', reason, inputs, attrs);
    const shape = ternaryMatMulShape(inputs, attrs);
    if (shape === undefined)
      return fallback('inputs the kernel does not take (the reference validates them)');
    const a = inputs.activations!;
    const program = new TernaryMatMulProgram(shape);
    if (program.dispatch[1] > MAX_WORKGROUPS_PER_DIMENSION)
      return fallback('more workgroups than one dispatch allows');
    return (backend as WebGPUBackendLike).runWebGPUProgram(
      program,
      [a, inputs.weights!, inputs.weightScale!, inputs.activationScales!],
      'float32',
    );
  },
};
