import * as tf from '@tensorflow/tfjs-core';
import { fusedAttentionWebGL } from './fused-attention-webgl.js';
import { ropeWebGL } from './rope-webgl.js';

/** The `webgl` kernels of this package, in registration order. */
export const WEBGL_KERNELS: readonly tf.KernelConfig[] = Object.freeze([fusedAttentionWebGL, ropeWebGL]);

/**
 * Registers the GLSL kernels of core's kernel contracts for tfjs's `webgl` backend with the public
 * `tf.registerKernel`: `EAFusedAttention` and `EARope`. The other contracts (`EABlockSparseAttention`,
 * `EACausalLinearAttention`, `EATernaryMatMul`) keep running core's reference on `webgl`.
 * Idempotent: a kernel already registered for `webgl` is left as it is. Returns the names it registered.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-webgl';
 * import { registerWebGLKernels } from '@efficient-attention/backends/webgl';
 * registerWebGLKernels();
 * await tf.setBackend('webgl');
 * fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: true }); // tiled, O(N·d) memory
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
