import { type RopeAttrs, ropeKernel } from '@efficient-attention/core';
import {
  MAX_WORKGROUPS_PER_DIMENSION,
  type WebGPUBackendLike,
  type WebGPUProgramSpec,
} from '../../runtime/webgpu/webgpu-program.js';
import { type RopeShape, referenceFallback, ropeShape } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

const WORKGROUP = 64;

/**
 * WGSL rotary position embedding (Su et al. 2021, RoFormer, eq. 34: https://arxiv.org/abs/2104.09864):
 * one invocation per output element reads its pair partner and the row's `cos`/`sin` entry;
 * dimensions past `rotaryDim` are copied. Both pair layouts of core's `EARope` (`half-split`,
 * `interleaved`). Inputs `X [B, H, S, D]`, `Cos`, `Sin [S, rotaryDim / 2]`.
 *
 * @example
 * ```ts
 * backend.runWebGPUProgram(new RopeProgram({ shape: [1, 8, 128, 64], layout: 'half-split', rotaryDim: 64 }),
 *   [x, cos, sin], 'float32');
 * ```
 */
export class RopeProgram implements WebGPUProgramSpec {
  readonly variableNames = ['X', 'Cos', 'Sin'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0, 1, 2, 3] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  readonly size = true;
  private readonly rope: RopeShape;

  constructor(rope: RopeShape) {
    this.rope = rope;
    this.outputShape = [...rope.shape];
    const groups = Math.ceil(rope.shape.reduce((a, b) => a * b, 1) / WORKGROUP);
    // Past 65535 workgroups, a 2-D grid; tfjs's getGlobalIndex() then folds workgroupId.y in.
    this.dispatch =
      groups <= MAX_WORKGROUPS_PER_DIMENSION
        ? [groups, 1, 1]
        : [MAX_WORKGROUPS_PER_DIMENSION, Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION), 1];
    this.shaderKey = `eaRope_${rope.layout}_${rope.rotaryDim}_${rope.shape[3]}`;
  }

  getUserCode(): string {
    const d = this.rope.shape[3];
    const r = this.rope.rotaryDim;
    const half = r / 2;
    const rotate =
      this.rope.layout === 'half-split'
        ? `if (e < ${half}) {
              out = X[index] * Cos[p * ${half} + e] - X[index + ${half}] * Sin[p * ${half} + e];
            } else {
              let i = e - ${half};
              out = X[index - ${half}] * Sin[p * ${half} + i] + X[index] * Cos[p * ${half} + i];
            }`
        : `let i = e / 2;
            if (e % 2 == 0) {
              out = X[index] * Cos[p * ${half} + i] - X[index + 1] * Sin[p * ${half} + i];
            } else {
              out = X[index - 1] * Sin[p * ${half} + i] + X[index] * Cos[p * ${half} + i];
            }`;
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let e = index % ${d};
        let p = (index / ${d}) % uniforms.xShape[2];
        var out = X[index];
        if (e < ${r}) {
          ${rotate}
        }
        setOutputAtIndex(index, out);
      }
    `;
  }
}

/**
 * The `webgpu` kernel of core's `EARope` (RoFormer, https://arxiv.org/abs/2104.09864): one WGSL pass,
 * see {@link RopeProgram}. Inputs the kernel does not take run core's reference (which raises the error),
 * with a one-time warning. Forward only: gradients go through the reference's custom gradient.
 *
 * @example
 * ```ts
 * registerWebGPUKernels(); // registers ropeWebGPU with the rest
 * const y = ropeKernel.run({ x, cos, sin }, { layout: 'half-split', rotaryDim: 64 });
 * ```
 */
export const ropeWebGPU = defineKernelImplementation({
  contract: ropeKernel,
  backend: 'webgpu',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const shape = ropeShape(inputs, (attrs ?? {}) as Partial<RopeAttrs>);
      const fallback = (reason: string) => referenceFallback(ropeKernel, 'webgpu', reason, inputs, attrs);
      if (shape === undefined)
        return fallback('inputs the kernel does not take (the reference validates them)');
      const program = new RopeProgram(shape);
      if (program.dispatch[1] > MAX_WORKGROUPS_PER_DIMENSION)
        return fallback('more workgroups than one dispatch allows');
      return (backend as WebGPUBackendLike).runWebGPUProgram(
        program,
        [inputs.x!, inputs.cos!, inputs.sin!],
        'float32',
      );
    },
});
