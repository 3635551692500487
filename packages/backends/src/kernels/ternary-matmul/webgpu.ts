import { type TernaryPackingFormat, ternaryMatMulKernel } from '@efficient-attention/core';
import {
  MAX_WORKGROUPS_PER_DIMENSION,
  type WebGPUBackendLike,
  type WebGPUProgramSpec,
} from '../../runtime/webgpu/webgpu-program.js';
import { referenceFallback, ternaryMatMulShape } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

const WORKGROUP = 64;

/** Shape facts of {@link TernaryMatMulProgram}. */
export interface TernaryMatMulShape {
  m: number;
  k: number;
  n: number;
  words: number;
  format: TernaryPackingFormat;
}

/**
 * WGSL int8 × packed-ternary matrix product (BitNet b1.58, https://arxiv.org/abs/2402.17764; packing after
 * bitnet.cpp, https://arxiv.org/abs/2410.16144): one invocation per output `(m, n)` decodes row n of the
 * packed weights word by word (`i2s`: 2-bit codes; `tq1`: five base-3 digits per byte, both as documented
 * in core's `TernaryPackingFormat`), accumulates `Σ_k a[m, k]·t[n, k]` exactly in i32, then scales:
 * `f32(acc) · activationScales[m] · weightScale`, the reference's order. Inputs `A [M, K]` int32,
 * `W [N, words]` int32, `Beta` (scalar), `AScales [M]`.
 *
 * @example
 * ```ts
 * backend.runWebGPUProgram(new TernaryMatMulProgram({ m: 4, k: 2048, n: 512, words: 128, format: 'i2s' }),
 *   [activations, weights, weightScale, activationScales], 'float32');
 * ```
 */
export class TernaryMatMulProgram implements WebGPUProgramSpec {
  readonly variableNames = ['A', 'W', 'Beta', 'AScales'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  readonly size = true;
  private readonly shape: TernaryMatMulShape;

  constructor(shape: TernaryMatMulShape) {
    this.shape = shape;
    this.outputShape = [shape.m, shape.n];
    const groups = Math.ceil((shape.m * shape.n) / WORKGROUP);
    this.dispatch =
      groups <= MAX_WORKGROUPS_PER_DIMENSION
        ? [groups, 1, 1]
        : [MAX_WORKGROUPS_PER_DIMENSION, Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION), 1];
    this.shaderKey = `eaTernaryMatMul_${shape.format}_${shape.k}_${shape.words}`;
  }

  getUserCode(): string {
    const { k, words, format } = this.shape;
    const [digits, perWord] = format === 'i2s' ? [4, 16] : [5, 20];
    const digit = format === 'i2s' ? '(byte >> (2u * u32(i))) & 3u' : '(byte / pow3[i]) % 3u';
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let n = uniforms.outShape[1];
        let row = index / n;
        let col = index - row * n;
        var pow3 = array<u32, 5>(1u, 3u, 9u, 27u, 81u);
        var acc = 0;
        for (var q = 0; q < ${words}; q++) {
          let word = u32(W[col * ${words} + q]);
          for (var b = 0; b < 4; b++) {
            let byte = (word >> (8u * u32(b))) & 255u;
            for (var i = 0; i < ${digits}; i++) {
              let kk = q * ${perWord} + b * ${digits} + i;
              if (kk < ${k}) {
                acc = acc + A[row * ${k} + kk] * (i32(${digit}) - 1);
              }
            }
          }
        }
        setOutputAtIndex(index, f32(acc) * AScales[row] * Beta[0]);
      }
    `;
  }
}

/**
 * The `webgpu` kernel of core's `EATernaryMatMul` (BitNet b1.58, https://arxiv.org/abs/2402.17764): see
 * {@link TernaryMatMulProgram}. Inputs the kernel does not take run core's reference (which raises the
 * error), with a one-time warning. Forward only.
 *
 * @example
 * ```ts
 * registerWebGPUKernels(); // registers ternaryMatMulWebGPU with the rest
 * const y = ternaryMatMulKernel.run({ activations, weights, weightScale, activationScales },
 *   { k: 2048, n: 512, format: 'i2s' });
 * ```
 */
export const ternaryMatMulWebGPU = defineKernelImplementation({
  contract: ternaryMatMulKernel,
  backend: 'webgpu',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const fallback = (reason: string) =>
        referenceFallback(ternaryMatMulKernel, 'webgpu', reason, inputs, attrs);
      const shape = ternaryMatMulShape(inputs, attrs);
      if (shape === undefined)
        return fallback('inputs the kernel does not take (the reference validates them)');
      const a = inputs.activations!;
      const program = new TernaryMatMulProgram(shape);
      if (program.dispatch[1] > MAX_WORKGROUPS_PER_DIMENSION)
        return fallback('more workgroups than one dispatch allows');
      return (backend as WebGPUBackendLike).runWebGPUProgram(
        program,
        [a, inputs.weights!, inputs.weightScale!, inputs.activationScales!],
        'float32',
      );
    },
});
