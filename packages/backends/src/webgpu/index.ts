/**
 * WGSL kernels of core's kernel contracts for tfjs's `webgpu` backend. Importing this module registers
 * nothing; `./register.js` (the `/webgpu` entry's side effect) calls {@link registerWebGPUKernels}.
 *
 * @packageDocumentation
 */
export {
  BlockSparseAttentionProgram,
  type BlockSparseAttentionShape,
} from './block-sparse-attention-program.js';
export { blockSparseAttentionWebGPU } from './block-sparse-attention-webgpu.js';
export {
  CausalLinearAttentionProgram,
  type CausalLinearAttentionShape,
} from './causal-linear-attention-program.js';
export { causalLinearAttentionWebGPU } from './causal-linear-attention-webgpu.js';
export { FusedAttentionProgram, type FusedAttentionShape } from './fused-attention-program.js';
export { fusedAttentionWebGPU } from './fused-attention-webgpu.js';
export { registerWebGPUKernels, WEBGPU_KERNELS } from './register-webgpu-kernels.js';
export { RopeProgram } from './rope-program.js';
export { type RopeShape, ropeShape } from './rope-shape.js';
export { ropeWebGPU } from './rope-webgpu.js';
export { TernaryMatMulProgram, type TernaryMatMulShape } from './ternary-matmul-program.js';
export { ternaryMatMulWebGPU } from './ternary-matmul-webgpu.js';
export type { WebGPUBackendLike, WebGPUProgramSpec, WebGPUUniform } from './webgpu-program.js';
