/**
 * GLSL kernels of core's kernel contracts for tfjs's `webgl` backend. Importing this module registers
 * nothing; `./register.js` (the `/webgl` entry's side effect) calls {@link registerWebGLKernels}.
 *
 * @packageDocumentation
 */
export { fusedAttentionWebGL } from './fused-attention-webgl.js';
export { MaskedExpProgram, type OnlineSoftmaxTile, RowMaxProgram } from './online-softmax-programs.js';
export { registerWebGLKernels, WEBGL_KERNELS } from './register-webgl-kernels.js';
export { RopeGLSLProgram } from './rope-program.js';
export { ropeWebGL } from './rope-webgl.js';
export type { GPGPUProgramSpec, WebGLBackendLike } from './webgl-program.js';
