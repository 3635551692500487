/**
 * GLSL kernels of core's kernel contracts for tfjs's `webgl` backend. Importing this module registers
 * nothing; `./register.js` (the `/webgl` entry's side effect) calls {@link registerWebGLKernels}.
 *
 * @packageDocumentation
 */
export {
  type BlockSparseChunk,
  BlockSparseKeyRowsProgram,
  BlockSparseMaskProgram,
  blockSlots,
  EMPTY_SLOT_SCORE,
  MaskedScoreExpProgram,
} from './block-sparse-attention-programs.js';
export { blockSparseAttentionWebGL } from './block-sparse-attention-webgl.js';
export {
  CausalLinearNormaliseProgram,
  type CausalLinearNormaliseShape,
} from './causal-linear-attention-program.js';
export { causalLinearAttentionWebGL } from './causal-linear-attention-webgl.js';
export { fusedAttentionWebGL } from './fused-attention-webgl.js';
export { hasFloat32Textures, int32Halves, type WebGLBackendData } from './int32-halves.js';
export { MaskedExpProgram, type OnlineSoftmaxTile, RowMaxProgram } from './online-softmax-programs.js';
export { registerWebGLKernels, WEBGL_KERNELS } from './register-webgl-kernels.js';
export { RopeGLSLProgram } from './rope-program.js';
export { ropeWebGL } from './rope-webgl.js';
export { TernaryMatMulGLSLProgram, type TernaryMatMulGLSLShape } from './ternary-matmul-program.js';
export { ternaryMatMulWebGL } from './ternary-matmul-webgl.js';
export type { GPGPUProgramSpec, WebGLBackendLike } from './webgl-program.js';
