import { type FusedAttentionAttrs, fusedAttentionKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { FUSED_QUERY_TILE, FusedAttentionProgram } from './fused-attention-program.js';
import { attentionDims, referenceFallback } from './kernel-fallback.js';
import { keyTileSize, MAX_WORKGROUPS_PER_DIMENSION, type WebGPUBackendLike } from './webgpu-program.js';

/**
 * The `webgpu` kernel of core's `EAFusedAttention`: runs {@link FusedAttentionProgram} (flash-style tiling,
 * online softmax, causal early exit; Dao et al. 2022, https://arxiv.org/abs/2205.14135). Invalid inputs and
 * shapes past the program's limits (d + dv > 4095, more than 65535 workgroups along an axis) run core's
 * reference, with a one-time warning. Forward only: gradients go through the reference.
 *
 * @example
 * ```ts
 * tf.registerKernel(fusedAttentionWebGPU);
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: true });
 * ```
 */
export const fusedAttentionWebGPU: tf.KernelConfig = {
  kernelName: fusedAttentionKernel.name,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { q, k, v } = inputs;
    const { scale, causal } = (attrs ?? {}) as unknown as FusedAttentionAttrs;
    const fallback = (reason: string) =>
      referenceFallback(fusedAttentionKernel, 'webgpu', reason, inputs, attrs);
    const dims = attentionDims(q, k, v);
    if (dims === undefined || typeof scale !== 'number' || typeof causal !== 'boolean') {
      return fallback('inputs the kernel does not take (the reference validates them)');
    }
    if (keyTileSize(dims.headDim, dims.valueDim) === 0) return fallback('headDim + valueDim exceeds 4095');
    if (
      Math.ceil(dims.qLen / FUSED_QUERY_TILE) > MAX_WORKGROUPS_PER_DIMENSION ||
      dims.batch * dims.heads > MAX_WORKGROUPS_PER_DIMENSION
    ) {
      return fallback('more workgroups than one dispatch allows');
    }
    const shape = { ...dims, causal };
    return (backend as WebGPUBackendLike).runWebGPUProgram(
      new FusedAttentionProgram(shape),
      [q!, k!, v!],
      'float32',
      FusedAttentionProgram.uniformValues(shape, scale),
    );
  },
};
