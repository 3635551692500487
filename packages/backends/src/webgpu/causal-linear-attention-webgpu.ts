import { type CausalLinearAttentionAttrs, causalLinearAttentionKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { CausalLinearAttentionProgram, linearChunkSize } from './causal-linear-attention-program.js';
import { isFloat4D, referenceFallback } from './kernel-fallback.js';
import { MAX_WORKGROUPS_PER_DIMENSION, type WebGPUBackendLike } from './webgpu-program.js';

/**
 * The `webgpu` kernel of core's `EACausalLinearAttention` (Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236): a chunked scan, see {@link CausalLinearAttentionProgram}. `chunkSize`
 * only shapes the reference's scan (the result does not depend on it); the kernel stages its own chunks.
 * Inputs the kernel does not take run core's reference (which raises the error), with a one-time warning.
 * Forward only.
 *
 * @example
 * ```ts
 * tf.registerKernel(causalLinearAttentionWebGPU);
 * const out = causalLinearAttentionKernel.run({ phiQ, phiK, v }, { chunkSize: 64, eps: 1e-6 });
 * ```
 */
export const causalLinearAttentionWebGPU: tf.KernelConfig = {
  kernelName: causalLinearAttentionKernel.name,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { phiQ, phiK, v } = inputs;
    const { eps, chunkSize } = (attrs ?? {}) as Partial<CausalLinearAttentionAttrs>;
    const fallback = (reason: string) =>
      referenceFallback(causalLinearAttentionKernel, 'webgpu', reason, inputs, attrs);
    const valid =
      isFloat4D(phiQ) &&
      isFloat4D(phiK) &&
      isFloat4D(v) &&
      phiQ.shape.every((s, i) => s === phiK.shape[i]) &&
      phiQ.shape.slice(0, 3).every((s, i) => s === v.shape[i]) &&
      typeof eps === 'number' &&
      eps > 0 &&
      typeof chunkSize === 'number' &&
      Number.isInteger(chunkSize) &&
      chunkSize >= 1;
    if (!valid) return fallback('inputs the kernel does not take (the reference validates them)');
    const [batch, heads, seq, features] = phiQ.shape;
    const shape = { batch, heads, seq, features, valueDim: v.shape[3] };
    if (linearChunkSize(features) === 0) return fallback('more than 2016 features');
    const program = new CausalLinearAttentionProgram(shape);
    if (program.dispatch[0] > MAX_WORKGROUPS_PER_DIMENSION)
      return fallback('more workgroups than one dispatch allows');
    return (backend as WebGPUBackendLike).runWebGPUProgram(program, [phiQ, phiK, v], 'float32', [
      { type: 'float32', data: [eps] },
      { type: 'int32', data: [seq] },
    ]);
  },
};
