/**
 * Side-effect entry `@efficient-attention/backends/webgl` (listed in `sideEffects`): registers this
 * package's `webgl` kernels on import, and exports them with their GLSL programs.
 *
 * @packageDocumentation
 */
import { registerWebGLKernels } from './kernels/register-kernels.js';

registerWebGLKernels();

export {
  type BlockSparseChunk,
  BlockSparseKeyRowsProgram,
  BlockSparseMaskProgram,
  blockSlots,
  blockSparseAttentionWebGL,
  EMPTY_SLOT_SCORE,
  MaskedScoreExpProgram,
} from './kernels/block-sparse-attention/webgl.js';
export {
  CausalLinearNormaliseProgram,
  type CausalLinearNormaliseShape,
  causalLinearAttentionWebGL,
} from './kernels/causal-linear-attention/webgl.js';
export {
  fusedAttentionWebGL,
  MaskedExpProgram,
  type OnlineSoftmaxTile,
  RowMaxProgram,
} from './kernels/fused-attention/webgl.js';
export { WEBGL_KERNEL_IMPLEMENTATIONS } from './kernels/index.js';
export type { KernelImplementation } from './kernels/kernel-implementation.js';
export { registerWebGLKernels, WEBGL_KERNELS } from './kernels/register-kernels.js';
export { RopeGLSLProgram, ropeWebGL } from './kernels/rope/webgl.js';
export {
  TernaryMatMulGLSLProgram,
  type TernaryMatMulGLSLShape,
  ternaryMatMulWebGL,
} from './kernels/ternary-matmul/webgl.js';
export { hasFloat32Textures, int32Halves, type WebGLBackendData } from './runtime/webgl/int32-halves.js';
export type { GPGPUProgramSpec, WebGLBackendLike } from './runtime/webgl/webgl-program.js';
