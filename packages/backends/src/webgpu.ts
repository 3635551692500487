/**
 * Side-effect entry `@efficient-attention/backends/webgpu` (listed in `sideEffects`): registers this
 * package's `webgpu` kernels on import, and exports them with their WGSL programs.
 *
 * @packageDocumentation
 */
import { registerWebGPUKernels } from './kernels/register-kernels.js';

registerWebGPUKernels();

export {
  BlockSparseAttentionProgram,
  blockSparseAttentionWebGPU,
} from './kernels/block-sparse-attention/webgpu.js';
export {
  BlockSparseAttentionGradKVProgram,
  BlockSparseAttentionGradQProgram,
  blockSparseAttentionGradWebGPU,
} from './kernels/block-sparse-attention/webgpu-grad.js';
export {
  CausalLinearAttentionProgram,
  type CausalLinearAttentionShape,
  causalLinearAttentionWebGPU,
} from './kernels/causal-linear-attention/webgpu.js';
export {
  attentionForwardParts,
  FusedAttentionProgram,
  type FusedAttentionShape,
  fusedAttentionWebGPU,
} from './kernels/fused-attention/webgpu.js';
export {
  FusedAttentionGradKVProgram,
  FusedAttentionGradQProgram,
  fusedAttentionGradWebGPU,
} from './kernels/fused-attention/webgpu-grad.js';
export { WEBGPU_KERNEL_IMPLEMENTATIONS } from './kernels/index.js';
export { type BlockSparseAttentionShape, type RopeShape, ropeShape } from './kernels/kernel-fallback.js';
export type { KernelImplementation } from './kernels/kernel-implementation.js';
export { registerWebGPUKernels, WEBGPU_KERNELS } from './kernels/register-kernels.js';
export { RopeProgram, ropeWebGPU } from './kernels/rope/webgpu.js';
export {
  TernaryMatMulProgram,
  type TernaryMatMulShape,
  ternaryMatMulWebGPU,
} from './kernels/ternary-matmul/webgpu.js';
export { AttentionRowStatsProgram } from './runtime/webgpu/attention-grad.js';
export { ExtractWordsProgram, type PackedPart, splitPackedOutput } from './runtime/webgpu/packed-output.js';
export type {
  WebGPUBackendLike,
  WebGPUProgramSpec,
  WebGPUUniform,
} from './runtime/webgpu/webgpu-program.js';
