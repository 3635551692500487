import { type TernaryPackingFormat, ternaryMatMulKernel } from '@efficient-attention/core';
import { hasFloat32Textures, int32Halves, type WebGLBackendData } from '../../runtime/webgl/int32-halves.js';
import type { GPGPUProgramSpec } from '../../runtime/webgl/webgl-program.js';
import { referenceFallback, ternaryMatMulShape } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/** Shape facts of {@link TernaryMatMulGLSLProgram}. */
export interface TernaryMatMulGLSLShape {
  m: number;
  k: number;
  n: number;
  /** Packed int32 words per weight row (core's `ternaryWordsPerRow(k, format)`). */
  words: number;
  format: TernaryPackingFormat;
}

/**
 * GLSL int8 × packed-ternary matrix product (BitNet b1.58, https://arxiv.org/abs/2402.17764; packing after
 * bitnet.cpp, https://arxiv.org/abs/2410.16144) on weights repacked as 16-bit halves: input `W` is float32
 * `[N, 2·words]` holding the low then the high 16 bits of each packed word (exact in a float32 texture,
 * unlike the word itself above 2^24). One fragment per output `(m, n)` decodes row n half by half with
 * integer ops (`i2s`: 2-bit codes; `tq1`: five base-3 digits per byte, as core's `TernaryPackingFormat`
 * documents, code 3 and bytes ≥ 243 included), accumulates `Σ_k a[m, k]·t[n, k]` exactly in an `int`,
 * then scales `float(acc) · activationScales[m] · weightScale`, the reference's order. Inputs
 * `A [M, K]` (int8 values), `W [N, 2·words]`, `Beta` (scalar), `AScales [M]`.
 *
 * @example
 * ```ts
 * backend.runWebGLProgram(new TernaryMatMulGLSLProgram({ m: 4, k: 2048, n: 512, words: 128, format: 'i2s' }),
 *   [activations, halves, weightScale, activationScales], 'float32');
 * ```
 */
export class TernaryMatMulGLSLProgram implements GPGPUProgramSpec {
  readonly variableNames = ['A', 'W', 'Beta', 'AScales'];
  readonly outputShape: number[];
  readonly userCode: string;

  constructor({ m, k, n, words, format }: TernaryMatMulGLSLShape) {
    this.outputShape = [m, n];
    const [digits, perWord] = format === 'i2s' ? [4, 16] : [5, 20];
    // Digit i of `code` (a byte): i2s reads 2-bit fields, tq1 peels base-3 digits off the low end.
    const decode =
      format === 'i2s'
        ? `int t = ((code >> (2 * i)) & 3) - 1;`
        : `int t = code - 3 * (code / 3) - 1;
           code = code / 3;`;
    this.userCode = `
      void main() {
        ivec2 c = getOutputCoords();
        int row = c.x;
        int col = c.y;
        int acc = 0;
        for (int q = 0; q < ${words}; q++) {
          for (int h = 0; h < 2; h++) {
            int half16 = int(getW(col, 2 * q + h));
            for (int b = 0; b < 2; b++) {
              int code = (half16 >> (8 * b)) & 255;
              int base = q * ${perWord} + (2 * h + b) * ${digits};
              for (int i = 0; i < ${digits}; i++) {
                ${decode}
                int kk = base + i;
                if (kk < ${k}) {
                  acc += int(getA(row, kk)) * t;
                }
              }
            }
          }
        }
        setOutput(float(acc) * getAScales(row) * getBeta());
      }
    `;
  }
}

/**
 * The `webgl` kernel of core's `EATernaryMatMul` (BitNet b1.58, https://arxiv.org/abs/2402.17764): see
 * {@link TernaryMatMulGLSLProgram}. tfjs-webgl keeps int32 tensors in float32 textures, which round packed
 * words above 2^24, so the kernel reads the weights' exact CPU copy (tfjs uploads lazily: a weight built
 * from an `Int32Array` still has it on first use), repacks each word into two 16-bit halves once, and
 * caches the repacked texture per weight (see {@link int32Halves}). Weights without a CPU copy (computed
 * on the GPU, or already uploaded by another op), float16 textures and invalid inputs run core's
 * reference (which raises the validation errors; on such weights it is inexact too), with a one-time
 * warning. Forward only.
 *
 * @example
 * ```ts
 * registerWebGLKernels(); // registers ternaryMatMulWebGL with the rest
 * // From an Int32Array (bitnet's packTernary(t, 'i2s', { rowLength: 2048 }).words): stays on the CPU until used.
 * const weights = tf.tensor2d(packed.words, [512, 128], 'int32');
 * const y = ternaryMatMulKernel.run({ activations, weights, weightScale, activationScales },
 *   { k: 2048, n: 512, format: 'i2s' });
 * ```
 */
export const ternaryMatMulWebGL = defineKernelImplementation({
  contract: ternaryMatMulKernel,
  backend: 'webgl',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const fallback = (reason: string) =>
        referenceFallback(ternaryMatMulKernel, 'webgl', reason, inputs, attrs);
      const shape = ternaryMatMulShape(inputs, attrs);
      if (shape === undefined)
        return fallback('inputs the kernel does not take (the reference validates them)');
      const gl = backend as WebGLBackendData;
      if (!hasFloat32Textures()) return fallback('float16 textures cannot hold 16-bit halves exactly');
      const halves = int32Halves(gl, inputs.weights!);
      if (halves === undefined) {
        return fallback(
          'the packed weights have no exact CPU copy (computed on the GPU or already uploaded to a float32 ' +
            'texture, which rounds words above 2^24): create them from an Int32Array and pass them to this ' +
            'kernel first',
        );
      }
      return gl.runWebGLProgram(
        new TernaryMatMulGLSLProgram(shape),
        [inputs.activations!, halves, inputs.weightScale!, inputs.activationScales!],
        'float32',
      );
    },
});
