/**
 * Every kernel this package brings, grouped by kernel: `kernels/<kernel>/{wasm,webgl,webgpu}.ts`, one
 * {@link KernelImplementation} each. This list is the one place a kernel is registered: the per-backend
 * register functions (`registerWasmKernels`, `registerWebGLKernels`, `registerWebGPUKernels`) and the
 * capability report read it. Adding a kernel on all three backends: its contract in core, its three files
 * here, its exports in `assembly/kernels.ts`, and one line below.
 *
 * @packageDocumentation
 */
import { blockSparseAttentionWasm } from './block-sparse-attention/wasm.js';
import { blockSparseAttentionWebGL } from './block-sparse-attention/webgl.js';
import { blockSparseAttentionWebGPU } from './block-sparse-attention/webgpu.js';
import { causalLinearAttentionWasm } from './causal-linear-attention/wasm.js';
import { causalLinearAttentionWebGL } from './causal-linear-attention/webgl.js';
import { causalLinearAttentionWebGPU } from './causal-linear-attention/webgpu.js';
import { fusedAttentionWasm } from './fused-attention/wasm.js';
import { fusedAttentionWebGL } from './fused-attention/webgl.js';
import { fusedAttentionWebGPU } from './fused-attention/webgpu.js';
import type { KernelBackend, KernelImplementation } from './kernel-implementation.js';
import { ropeWasm } from './rope/wasm.js';
import { ropeWebGL } from './rope/webgl.js';
import { ropeWebGPU } from './rope/webgpu.js';
import { ternaryMatMulWasm } from './ternary-matmul/wasm.js';
import { ternaryMatMulWebGL } from './ternary-matmul/webgl.js';
import { ternaryMatMulWebGPU } from './ternary-matmul/webgpu.js';

/** Every kernel implementation of this package, one line per kernel (registration order within a backend). */
export const KERNEL_IMPLEMENTATIONS: readonly KernelImplementation[] = Object.freeze(
  [
    [fusedAttentionWasm, fusedAttentionWebGL, fusedAttentionWebGPU],
    [blockSparseAttentionWasm, blockSparseAttentionWebGL, blockSparseAttentionWebGPU],
    [causalLinearAttentionWasm, causalLinearAttentionWebGL, causalLinearAttentionWebGPU],
    [ropeWasm, ropeWebGL, ropeWebGPU],
    [ternaryMatMulWasm, ternaryMatMulWebGL, ternaryMatMulWebGPU],
  ].flat(),
);

/**
 * The implementations of one backend, in list order.
 *
 * @example
 * ```ts
 * implementationsFor('webgpu').map((k) => k.contract.name); // ['EAFusedAttention', …]
 * ```
 */
export function implementationsFor<B extends KernelBackend>(backend: B): KernelImplementation<B>[] {
  return KERNEL_IMPLEMENTATIONS.filter((k): k is KernelImplementation<B> => k.backend === backend);
}
