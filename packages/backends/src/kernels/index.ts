/**
 * Every kernel this package brings, grouped by kernel: `kernels/<kernel>/{wasm,webgl,webgpu}.ts`, one
 * {@link KernelImplementation} each. This file is the one place a kernel is registered: one list per
 * backend, each importing only that backend's files, so the `/wasm`, `/webgl` and `/webgpu` entries (whose
 * register functions read their own list) bundle only their own backend's kernels. Adding a kernel on all
 * three backends: its contract in core, its three files here, its exports in `assembly/kernels.ts`, and one
 * line in each list below.
 *
 * The lists are plain arrays of imported objects (frozen through a `@__PURE__` call), and the package's
 * `sideEffects` field marks this module and the kernel files side-effect free, so a bundler drops the lists
 * (and the kernel files) an entry does not use. Read a list by its own name; {@link KERNEL_IMPLEMENTATIONS}
 * and {@link implementationsFor} reference all three and so bundle every backend.
 *
 * @packageDocumentation
 */
import { blockSparseAttentionWasm } from './block-sparse-attention/wasm.js';
import { blockSparseAttentionGradWasm } from './block-sparse-attention/wasm-grad.js';
import { blockSparseAttentionWebGL } from './block-sparse-attention/webgl.js';
import { blockSparseAttentionWebGPU } from './block-sparse-attention/webgpu.js';
import { blockSparseAttentionGradWebGPU } from './block-sparse-attention/webgpu-grad.js';
import { causalLinearAttentionWasm } from './causal-linear-attention/wasm.js';
import { causalLinearAttentionWebGL } from './causal-linear-attention/webgl.js';
import { causalLinearAttentionWebGPU } from './causal-linear-attention/webgpu.js';
import { fusedAttentionWasm } from './fused-attention/wasm.js';
import { fusedAttentionGradWasm } from './fused-attention/wasm-grad.js';
import { fusedAttentionWebGL } from './fused-attention/webgl.js';
import { fusedAttentionWebGPU } from './fused-attention/webgpu.js';
import { fusedAttentionGradWebGPU } from './fused-attention/webgpu-grad.js';
import type { KernelBackend, KernelImplementation } from './kernel-implementation.js';
import { ropeWasm } from './rope/wasm.js';
import { ropeWebGL } from './rope/webgl.js';
import { ropeWebGPU } from './rope/webgpu.js';
import { ternaryMatMulWasm } from './ternary-matmul/wasm.js';
import { ternaryMatMulWebGL } from './ternary-matmul/webgl.js';
import { ternaryMatMulWebGPU } from './ternary-matmul/webgpu.js';

/** The `wasm` kernels (registered for tfjs's `wasm` and `cpu` backends), in registration order. */
export const WASM_KERNEL_IMPLEMENTATIONS: readonly KernelImplementation<'wasm'>[] =
  /* @__PURE__ */ Object.freeze([
    fusedAttentionWasm,
    fusedAttentionGradWasm,
    blockSparseAttentionWasm,
    blockSparseAttentionGradWasm,
    causalLinearAttentionWasm,
    ropeWasm,
    ternaryMatMulWasm,
  ]);

/** The `webgl` kernels, in registration order. */
export const WEBGL_KERNEL_IMPLEMENTATIONS: readonly KernelImplementation<'webgl'>[] =
  /* @__PURE__ */ Object.freeze([
    fusedAttentionWebGL,
    blockSparseAttentionWebGL,
    causalLinearAttentionWebGL,
    ropeWebGL,
    ternaryMatMulWebGL,
  ]);

/** The `webgpu` kernels, in registration order. */
export const WEBGPU_KERNEL_IMPLEMENTATIONS: readonly KernelImplementation<'webgpu'>[] =
  /* @__PURE__ */ Object.freeze([
    fusedAttentionWebGPU,
    fusedAttentionGradWebGPU,
    blockSparseAttentionWebGPU,
    blockSparseAttentionGradWebGPU,
    causalLinearAttentionWebGPU,
    ropeWebGPU,
    ternaryMatMulWebGPU,
  ]);

/**
 * Every kernel implementation of this package: the three per-backend lists, concatenated (bundles every
 * backend; the per-backend code reads its own list).
 */
export const KERNEL_IMPLEMENTATIONS: readonly KernelImplementation[] = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ (WASM_KERNEL_IMPLEMENTATIONS as readonly KernelImplementation[]).concat(
    WEBGL_KERNEL_IMPLEMENTATIONS,
    WEBGPU_KERNEL_IMPLEMENTATIONS,
  ),
);

/**
 * The implementations of one backend, in list order (references all three lists: bundles every backend).
 *
 * @example
 * ```ts
 * implementationsFor('webgpu').map((k) => k.contract.name); // ['EAFusedAttention', …]
 * ```
 */
export function implementationsFor<B extends KernelBackend>(backend: B): KernelImplementation<B>[] {
  const lists: { [K in KernelBackend]: readonly KernelImplementation<K>[] } = {
    wasm: WASM_KERNEL_IMPLEMENTATIONS,
    webgl: WEBGL_KERNEL_IMPLEMENTATIONS,
    webgpu: WEBGPU_KERNEL_IMPLEMENTATIONS,
  };
  return [...lists[backend]];
}
