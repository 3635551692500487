import {
  MAX_WORKGROUPS_PER_DIMENSION,
  vectorWidth,
  type WebGPUProgramSpec,
  WORKGROUP_STORAGE_WORDS,
  wgslVector,
} from './webgpu-program.js';

// WGSL shared by the FlashAttention-2 backward programs (Dao 2023, Algorithm 2,
// https://arxiv.org/abs/2307.08691) of dense and block-sparse attention.

/**
 * Query rows per workgroup-memory tile of the dK/dV programs for head dims `d` (q) and `dv` (dO): at most
 * 32, with q, dO and the row statistics (log-sum-exp, D) of every row within WebGPU's guaranteed 16 KiB of
 * workgroup storage; 0 when a single row does not fit.
 */
export function queryTileSize(d: number, dv: number): number {
  return Math.max(0, Math.min(32, Math.floor(WORKGROUP_STORAGE_WORDS / (d + dv + 2))));
}

/**
 * Module-scope WGSL: `attentionProbability(s, lse)`, the softmax probability P = exp(s − lse) of a visible
 * score recomputed from the row's saved log-sum-exp, under core's NaN rule. WGSL lets an implementation
 * assume floats are finite (and `exp` may clamp its argument), so NaN and infinities are classified by
 * their bits: a NaN log-sum-exp (the forward's row was NaN) or a NaN / +∞ score gives NaN (the uniform
 * `NAN` tfjs passes every program); a −∞ score gives 0, as in the forward.
 */
export function attentionProbabilityWGSL(): string {
  return `
      fn isNaNBits(x : f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
      fn attentionProbability(s : f32, lse : f32) -> f32 {
        let sBits = bitcast<u32>(s);
        if (isNaNBits(lse) || isNaNBits(s) || sBits == 0x7f800000u) { return uniforms.NAN; }
        if (sBits == 0xff800000u) { return 0.0; }
        return exp(s - lse);
      }`;
}

/** Shape facts of {@link AttentionRowStatsProgram}. */
export interface AttentionRowStatsShape {
  /** Query rows: batch · heads · qLen. */
  rows: number;
  valueDim: number;
}

const STATS_WORKGROUP = 64;

/**
 * The first pass of FlashAttention-2's backward (Dao 2023, Algorithm 2, line 4,
 * https://arxiv.org/abs/2307.08691): for every query row, `D = rowsum(dO ∘ O)`, written next to the row's
 * log-sum-exp as `Stats [rows, 2]` = (logSumExp, D), the one input of row statistics the dQ and dK/dV
 * programs read (WebGPU guarantees only 8 storage buffers per stage). O(rows · dv).
 *
 * Inputs (flat row-major): `O [rows, dv]`, `DO [rows, dv]`, `LSE [rows]`.
 *
 * @example
 * ```ts
 * const stats = backend.runWebGPUProgram(new AttentionRowStatsProgram({ rows: b * h * n, valueDim: dv }),
 *   [out, dOut, logSumExp], 'float32');
 * ```
 */
export class AttentionRowStatsProgram implements WebGPUProgramSpec {
  readonly variableNames = ['O', 'DO', 'LSE'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [STATS_WORKGROUP, 1, 1];
  readonly uniforms = 'rows : i32,';
  readonly variableComponents: number[];
  private readonly vw: number;
  private readonly w: 1 | 4;

  constructor(shape: AttentionRowStatsShape) {
    this.w = vectorWidth(shape.valueDim, shape.valueDim);
    this.vw = shape.valueDim / this.w;
    this.variableComponents = [this.w, this.w, 1];
    this.outputShape = [shape.rows * 2];
    const groups = Math.max(1, Math.ceil(shape.rows / STATS_WORKGROUP));
    this.dispatch =
      groups <= MAX_WORKGROUPS_PER_DIMENSION
        ? [groups, 1, 1]
        : [MAX_WORKGROUPS_PER_DIMENSION, Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION), 1];
    this.shaderKey = `eaAttentionRowStats_${this.vw}_${this.w}`;
  }

  /** The uniform values, in the order of {@link AttentionRowStatsProgram.uniforms}. */
  static uniformValues(shape: AttentionRowStatsShape) {
    return [{ type: 'int32' as const, data: [shape.rows] }];
  }

  getUserCode(): string {
    const { vw } = this;
    const { dot } = wgslVector(this.w);
    return `
      fn main(row : i32) {
        if (row >= uniforms.rows) { return; }
        var d = 0.0;
        for (var c = 0; c < ${vw}; c++) {
          d = d + ${dot(`O[row * ${vw} + c]`, `DO[row * ${vw} + c]`)};
        }
        result[2 * row] = LSE[row];
        result[2 * row + 1] = d;
      }
    `;
  }
}
