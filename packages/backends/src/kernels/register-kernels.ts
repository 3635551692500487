import * as tf from '@tensorflow/tfjs-core';
import { implementationsFor } from './index.js';
import type { KernelBackend, KernelRuntimes } from './kernel-implementation.js';

/** A kernel registered (or found registered) with tfjs for one tfjs backend. */
export interface KernelRegistration {
  kernelName: string;
  backendName: string;
}

/** Options of {@link registerKernelImplementations}. */
export interface RegisterKernelImplementationsOptions {
  /** tfjs backends to register for. Default: the backend's own name. */
  tfBackends?: readonly string[];
  /** Kernels already registered by this package (kept, and reported as registered). */
  isOurs?: (kernelName: string, backendName: string) => boolean;
}

/**
 * Registers every {@link KernelImplementation} of `backend` (from `kernels/index.ts`) with tfjs's public
 * `tf.registerKernel`, each set up with `runtime`. A kernel someone else registered first for a tfjs
 * backend (bitnet's `cpu` ternary GEMV) is kept and reported in `kept`; `registered` lists this package's
 * kernels (newly `added`, or already ours per `isOurs`), in list order. One idiom for every backend.
 *
 * @example
 * ```ts
 * const { added } = registerKernelImplementations('webgpu', undefined);
 * ```
 */
export function registerKernelImplementations<B extends KernelBackend>(
  backend: B,
  runtime: KernelRuntimes[B],
  { tfBackends = [backend], isOurs = () => false }: RegisterKernelImplementationsOptions = {},
): { registered: KernelRegistration[]; added: KernelRegistration[]; kept: KernelRegistration[] } {
  const registered: KernelRegistration[] = [];
  const added: KernelRegistration[] = [];
  const kept: KernelRegistration[] = [];
  for (const implementation of implementationsFor(backend)) {
    const kernelName = implementation.contract.name;
    for (const backendName of tfBackends) {
      const entry = { kernelName, backendName };
      if (!isOurs(kernelName, backendName)) {
        if (tf.getKernel(kernelName, backendName) !== undefined) {
          kept.push(entry);
          continue;
        }
        tf.registerKernel({ kernelName, backendName, kernelFunc: implementation.setup(runtime) });
        added.push(entry);
      }
      registered.push(entry);
    }
  }
  return { registered, added, kept };
}

/**
 * The `tf.KernelConfig`s of a GPU backend's implementations (for callers that register kernels themselves).
 *
 * @example
 * ```ts
 * for (const config of kernelConfigs('webgl')) tf.registerKernel(config);
 * ```
 */
export function kernelConfigs(backend: 'webgl' | 'webgpu'): tf.KernelConfig[] {
  return implementationsFor(backend).map((implementation) => ({
    kernelName: implementation.contract.name,
    backendName: backend,
    kernelFunc: implementation.setup(undefined),
  }));
}

/** The `webgl` kernels of this package, in registration order. */
export const WEBGL_KERNELS: readonly tf.KernelConfig[] = Object.freeze(kernelConfigs('webgl'));

/** The `webgpu` kernels of this package, in registration order. */
export const WEBGPU_KERNELS: readonly tf.KernelConfig[] = Object.freeze(kernelConfigs('webgpu'));

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
  return registerKernelImplementations('webgl', undefined).added.map((r) => r.kernelName);
}

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
  return registerKernelImplementations('webgpu', undefined).added.map((r) => r.kernelName);
}
