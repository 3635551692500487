import * as tf from '@tensorflow/tfjs-core';
import { WEBGL_KERNEL_IMPLEMENTATIONS, WEBGPU_KERNEL_IMPLEMENTATIONS } from './index.js';
import type { KernelBackend, KernelImplementation, KernelRuntimes } from './kernel-implementation.js';

/** A kernel registered (or found registered) with tfjs for one tfjs backend. */
export interface KernelRegistration {
  kernelName: string;
  backendName: string;
}

/** Options of {@link registerKernelImplementations}. */
export interface RegisterKernelImplementationsOptions {
  /** tfjs backends to register for. Default: each implementation's own backend name. */
  tfBackends?: readonly string[];
  /** Kernels already registered by this package (kept, and reported as registered). */
  isOurs?: (kernelName: string, backendName: string) => boolean;
}

/**
 * Registers `implementations` — one backend's list from `kernels/index.ts`, such as
 * `WEBGPU_KERNEL_IMPLEMENTATIONS` — with tfjs's public `tf.registerKernel`, each set up with `runtime`. A
 * kernel someone else registered first for a tfjs backend (bitnet's `cpu` ternary GEMV) is kept and
 * reported in `kept`; `registered` lists this package's kernels (newly `added`, or already ours per
 * `isOurs`), in list order. One idiom for every backend. It takes the list rather than a backend name so
 * that each entry bundles only the list it registers.
 *
 * @example
 * ```ts
 * const { added } = registerKernelImplementations(WEBGPU_KERNEL_IMPLEMENTATIONS, undefined);
 * ```
 */
export function registerKernelImplementations<B extends KernelBackend>(
  implementations: readonly KernelImplementation<B>[],
  runtime: KernelRuntimes[B],
  { tfBackends, isOurs = () => false }: RegisterKernelImplementationsOptions = {},
): { registered: KernelRegistration[]; added: KernelRegistration[]; kept: KernelRegistration[] } {
  const registered: KernelRegistration[] = [];
  const added: KernelRegistration[] = [];
  const kept: KernelRegistration[] = [];
  for (const implementation of implementations) {
    const kernelName = implementation.contract.name;
    for (const backendName of tfBackends ?? [implementation.backend]) {
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
 * The `tf.KernelConfig`s of a GPU backend's implementations, one backend's list from `kernels/index.ts`
 * (for callers that register kernels themselves).
 *
 * @example
 * ```ts
 * for (const config of kernelConfigs(WEBGL_KERNEL_IMPLEMENTATIONS)) tf.registerKernel(config);
 * ```
 */
export function kernelConfigs(
  implementations: readonly KernelImplementation<'webgl' | 'webgpu'>[],
): tf.KernelConfig[] {
  return implementations.map((implementation) => ({
    kernelName: implementation.contract.name,
    backendName: implementation.backend,
    kernelFunc: implementation.setup(undefined),
  }));
}

/** The `webgl` kernels of this package, in registration order. */
export const WEBGL_KERNELS: readonly tf.KernelConfig[] = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ kernelConfigs(WEBGL_KERNEL_IMPLEMENTATIONS),
);

/** The `webgpu` kernels of this package, in registration order. */
export const WEBGPU_KERNELS: readonly tf.KernelConfig[] = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ kernelConfigs(WEBGPU_KERNEL_IMPLEMENTATIONS),
);

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
  return registerKernelImplementations(WEBGL_KERNEL_IMPLEMENTATIONS, undefined).added.map(
    (r) => r.kernelName,
  );
}

/**
 * Registers the WGSL kernels of core's kernel contracts for tfjs's `webgpu` backend with the public
 * `tf.registerKernel`: `EAFusedAttention`, `EABlockSparseAttention`, `EACausalLinearAttention`, `EARope`
 * and `EATernaryMatMul` (every forward contract core defines), and the attention backward kernels
 * `EAFusedAttentionGrad` and `EABlockSparseAttentionGrad` (FlashAttention-2's backward), so training runs
 * through WGSL. Idempotent:
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
  return registerKernelImplementations(WEBGPU_KERNEL_IMPLEMENTATIONS, undefined).added.map(
    (r) => r.kernelName,
  );
}
