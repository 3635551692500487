import * as tf from '@tensorflow/tfjs-core';
import { blockSparseAttentionWebGPU } from './block-sparse-attention-webgpu.js';
import { causalLinearAttentionWebGPU } from './causal-linear-attention-webgpu.js';
import { fusedAttentionWebGPU } from './fused-attention-webgpu.js';
import { ropeWebGPU } from './rope-webgpu.js';
import { ternaryMatMulWebGPU } from './ternary-matmul-webgpu.js';

/** The `webgpu` kernels of this package, in registration order. */
export const WEBGPU_KERNELS: readonly tf.KernelConfig[] = Object.freeze([
  fusedAttentionWebGPU,
  blockSparseAttentionWebGPU,
  causalLinearAttentionWebGPU,
  ropeWebGPU,
  ternaryMatMulWebGPU,
]);

/**
 * Registers the WGSL kernels of core's kernel contracts for tfjs's `webgpu` backend with the public
 * `tf.registerKernel`: `EAFusedAttention`, `EABlockSparseAttention`, `EACausalLinearAttention`, `EARope`
 * and `EATernaryMatMul` (every contract core defines). Idempotent:
 * a kernel already registered for `webgpu` is left as it is. Returns the names it registered.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-webgpu';
 * import { registerWebGPUKernels } from '@efficient-attention/backends/webgpu';
 * registerWebGPUKernels();
 * await tf.setBackend('webgpu');
 * fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: false }); // WGSL flash attention
 * ```
 */
export function registerWebGPUKernels(): string[] {
  const added: string[] = [];
  for (const config of WEBGPU_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
