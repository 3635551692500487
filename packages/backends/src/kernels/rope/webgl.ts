import { type RopeAttrs, ropeKernel } from '@efficient-attention/core';
import type { GPGPUProgramSpec, WebGLBackendLike } from '../../runtime/webgl/webgl-program.js';
import { type RopeShape, referenceFallback, ropeShape } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/**
 * GLSL rotary position embedding (Su et al. 2021, RoFormer, eq. 34: https://arxiv.org/abs/2104.09864):
 * one fragment per output element reads its pair partner and the row's `cos`/`sin` entry; dimensions past
 * `rotaryDim` are copied. Both pair layouts of core's `EARope`. Inputs `X [B, H, S, D]`,
 * `Cos`, `Sin [S, rotaryDim / 2]`.
 *
 * @example
 * ```ts
 * backend.runWebGLProgram(new RopeGLSLProgram({ shape: [1, 8, 128, 64], layout: 'interleaved', rotaryDim: 64 }),
 *   [x, cos, sin], 'float32');
 * ```
 */
export class RopeGLSLProgram implements GPGPUProgramSpec {
  readonly variableNames = ['X', 'Cos', 'Sin'];
  readonly outputShape: number[];
  readonly userCode: string;

  constructor(rope: RopeShape) {
    this.outputShape = [...rope.shape];
    const half = rope.rotaryDim / 2;
    const rotate =
      rope.layout === 'half-split'
        ? `if (e < ${half}) {
             y = x * getCos(c.z, e) - getX(c.x, c.y, c.z, e + ${half}) * getSin(c.z, e);
           } else {
             y = getX(c.x, c.y, c.z, e - ${half}) * getSin(c.z, e - ${half}) + x * getCos(c.z, e - ${half});
           }`
        : `int i = e / 2;
           if (e - 2 * i == 0) {
             y = x * getCos(c.z, i) - getX(c.x, c.y, c.z, e + 1) * getSin(c.z, i);
           } else {
             y = getX(c.x, c.y, c.z, e - 1) * getSin(c.z, i) + x * getCos(c.z, i);
           }`;
    this.userCode = `
      void main() {
        ivec4 c = getOutputCoords();
        int e = c.w;
        float x = getX(c.x, c.y, c.z, e);
        float y = x;
        if (e < ${rope.rotaryDim}) {
          ${rotate}
        }
        setOutput(y);
      }
    `;
  }
}

/**
 * The `webgl` kernel of core's `EARope` (RoFormer, https://arxiv.org/abs/2104.09864): one GLSL pass, see
 * {@link RopeGLSLProgram}. Inputs the kernel does not take run core's reference (which raises the
 * error), with a one-time warning. Forward only.
 *
 * @example
 * ```ts
 * registerWebGLKernels(); // registers ropeWebGL with the rest
 * const y = ropeKernel.run({ x, cos, sin }, { layout: 'interleaved', rotaryDim: 32 });
 * ```
 */
export const ropeWebGL = defineKernelImplementation({
  contract: ropeKernel,
  backend: 'webgl',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const shape = ropeShape(inputs, (attrs ?? {}) as Partial<RopeAttrs>);
      if (shape === undefined) {
        return referenceFallback(
          ropeKernel,
          'webgl',
          'inputs the kernel does not take (the reference validates them)',
          inputs,
          attrs,
        );
      }
      return (backend as WebGLBackendLike).runWebGLProgram(
        new RopeGLSLProgram(shape),
        [inputs.x!, inputs.cos!, inputs.sin!],
        'float32',
      );
    },
});
