import type { GPGPUProgramSpec } from './webgl-program.js';

/** Shape facts of {@link CausalLinearNormaliseProgram}. */
export interface CausalLinearNormaliseShape {
  batch: number;
  heads: number;
  /** Sequence length (the accumulator may hold more rows: chunk padding, ignored). */
  seq: number;
  valueDim: number;
}

/**
 * GLSL, the last pass of the `webgl` causal linear attention (Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236, eq. 9–12): from the accumulated `[num | den]` rows
 * `Acc [B·H, paddedSeq, dv + 1]` (the normaliser rode along as an extra value column), `out = num /
 * max(den, eps)` as `[B, H, seq, dv]`, dropping the chunk padding — one pass instead of two slices, a
 * maximum, a division and a reshape. Uniform `eps`.
 *
 * @example
 * ```ts
 * backend.runWebGLProgram(new CausalLinearNormaliseProgram({ batch: 1, heads: 8, seq: 1000, valueDim: 64 }),
 *   [acc], 'float32', [[1e-6]]);
 * ```
 */
export class CausalLinearNormaliseProgram implements GPGPUProgramSpec {
  readonly variableNames = ['Acc'];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly customUniforms = [{ name: 'eps', type: 'float' as const }];

  constructor({ batch, heads, seq, valueDim }: CausalLinearNormaliseShape) {
    this.outputShape = [batch, heads, seq, valueDim];
    this.userCode = `
      void main() {
        ivec4 c = getOutputCoords();
        int g = c.x * ${heads} + c.y;
        float den = max(getAcc(g, c.z, ${valueDim}), eps);
        setOutput(getAcc(g, c.z, c.w) / den);
      }
    `;
  }
}
