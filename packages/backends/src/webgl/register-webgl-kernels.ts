import * as tf from '@tensorflow/tfjs-core';
import { blockSparseAttentionWebGL } from './block-sparse-attention-webgl.js';
import { causalLinearAttentionWebGL } from './causal-linear-attention-webgl.js';
import { fusedAttentionWebGL } from './fused-attention-webgl.js';
import { ropeWebGL } from './rope-webgl.js';
import { ternaryMatMulWebGL } from './ternary-matmul-webgl.js';

/** The `webgl` kernels of this package, in registration order. */
export const WEBGL_KERNELS: readonly tf.KernelConfig[] = Object.freeze([
  fusedAttentionWebGL,
  ropeWebGL,
  ternaryMatMulWebGL,
  blockSparseAttentionWebGL,
  causalLinearAttentionWebGL,
]);

/**
 * Registers the GLSL kernels of core's kernel contracts for tfjs's `webgl` backend with the public
 * `tf.registerKernel`: `EAFusedAttention`, `EARope`, `EATernaryMatMul` (packed words repacked into exact
 * 16-bit halves from their CPU copy), `EABlockSparseAttention` (only the listed key blocks are visited)
 * and `EACausalLinearAttention` (the chunked scan batched over heads). Every core contract has a `webgl`
 * kernel; inputs a kernel does not take run core's reference with a one-time warning.
 * Idempotent: a kernel already registered for `webgl` is left as it is. Returns the names it registered.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-webgl';
 * import { registerWebGLKernels } from '@efficient-attention/backends/webgl';
 * registerWebGLKernels();
 * await tf.setBackend('webgl');
 * fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: true }); // tiled, O(N·d) memory
 * blockSparseAttentionKernel.run({ q, k, v, ...blockMask.toTensors() }, { blockSize: 64, qLen, kvLen, scale });
 * ```
 */
export function registerWebGLKernels(): string[] {
  const added: string[] = [];
  for (const config of WEBGL_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
