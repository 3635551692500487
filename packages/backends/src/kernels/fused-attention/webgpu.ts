import { type FusedAttentionAttrs, fusedAttentionKernel } from '@efficient-attention/core';
import { type PackedPart, splitPackedOutput } from '../../runtime/webgpu/packed-output.js';
import {
  keyTileSize,
  MAX_WORKGROUPS_PER_DIMENSION,
  type RowRegisters,
  rowRegistersWGSL,
  vectorWidth,
  type WebGPUBackendLike,
  type WebGPUProgramSpec,
  wgslVector,
} from '../../runtime/webgpu/webgpu-program.js';
import { attentionDimsOrUndefined, referenceFallback } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/** Query rows per workgroup of {@link FusedAttentionProgram} (one invocation per query row). */
export const FUSED_QUERY_TILE = 64;

/**
 * WGSL that folds one tile of scores into a row's online-softmax state (Milakov & Gimelshein 2018,
 * https://arxiv.org/abs/1805.02867; FlashAttention, https://arxiv.org/abs/2205.14135) under the NaN rule
 * of the float64 reference: expects `s` (scores of `count` keys; `allowed` bits when `masked`), `vTile`,
 * `rowMax`, `rowSum`, `rowBad` (a visible score was NaN or +∞: the row is NaN), `rowSeen` (a visible key
 * was met: a row whose visible scores are all −∞ is NaN too) and the row's registers in scope. WGSL lets
 * an implementation assume floats are finite, so scores are classified by their bits, never by a NaN
 * comparison; masked keys are skipped, never multiplied by 0. Finish with {@link nanRuleRowScaleWGSL}.
 */
export function nanRuleSoftmaxTileWGSL(regs: RowRegisters, valueWords: number, masked: boolean): string {
  const ok = (j: string) => (masked ? `((allowed >> u32(${j})) & 1u) == 1u` : 'true');
  return `
        var tileMax = -3.0e38;
        for (var j = 0; j < count; j++) {
          if (${ok('j')}) {
            rowSeen = true;
            let bits = bitcast<u32>(s[j]);
            // NaN or +∞ (exponent all ones, and not −∞): the reference's row is NaN.
            if ((bits & 0x7f800000u) == 0x7f800000u && bits != 0xff800000u) { rowBad = true; }
            else { tileMax = max(tileMax, s[j]); }
          }
        }
        if (tileMax > -3.0e38) {
          let newMax = max(rowMax, tileMax);
          let alpha = exp(rowMax - newMax);
          rowSum = rowSum * alpha;
          ${regs.scaleAcc('alpha')}
          for (var j = 0; j < count; j++) {
            if (${ok('j')}) {
              // A visible −∞ score has weight 0, and its value still reaches the row when it is NaN (0 · NaN).
              let p = select(exp(s[j] - newMax), 0.0, bitcast<u32>(s[j]) == 0xff800000u);
              rowSum = rowSum + p;
              let vBase = j * ${valueWords};
              ${regs.addAcc('p', 'vBase')}
            }
          }
          rowMax = newMax;
        }`;
}

/**
 * WGSL for the factor a row's accumulator is multiplied by at the end, as `inv`: 1 / rowSum; NaN when the
 * row is NaN under the NaN rule (`rowBad`, or visible keys whose scores were all −∞); 0 for a row with no
 * visible key. The NaN comes from a uniform's bits (a constant NaN is a WGSL compile error).
 */
export function nanRuleRowScaleWGSL(): string {
  return `let rowNaN = bitcast<f32>(bitcast<u32>(uniforms.scale) | 0x7fc00000u);
          let inv = select(select(0.0, 1.0 / rowSum, rowSum > 0.0), rowNaN, rowBad || (rowSeen && !(rowSum > 0.0)));`;
}

/**
 * WGSL for the row's natural log-sum-exp of its visible scaled scores, as `lse` (the forward's second
 * output, saved for the FlashAttention-2 backward): rowMax + log(rowSum); −∞ for a row with no visible key;
 * NaN when the row is NaN (after {@link nanRuleRowScaleWGSL}, whose `rowNaN` it uses; the −∞ comes from the
 * `INFINITY` uniform tfjs passes every program, a constant infinity being a WGSL compile error).
 */
export function nanRuleRowLogSumExpWGSL(): string {
  return `let lse = select(select(-uniforms.INFINITY, rowMax + log(rowSum), rowSeen), rowNaN,
            rowBad || (rowSeen && !(rowSum > 0.0)));`;
}

/**
 * The `[out, logSumExp]` parts of an attention forward program's packed output: the output `[B, H, N, dv]`,
 * then one word (`vec4` when the program is vectorised, the log-sum-exp in its x) per row.
 */
export function attentionForwardParts(dims: {
  batch: number;
  heads: number;
  qLen: number;
  valueDim: number;
  w: 1 | 4;
}): PackedPart[] {
  const { batch, heads, qLen, valueDim, w } = dims;
  return [
    { shape: [batch, heads, qLen, valueDim], offset: 0, stride: 1 },
    { shape: [batch, heads, qLen], offset: batch * heads * qLen * valueDim, stride: w },
  ];
}

/** Shape facts {@link FusedAttentionProgram} is compiled for. */
export interface FusedAttentionShape {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  causal: boolean;
}

/**
 * WGSL flash attention (Dao et al. 2022, FlashAttention, https://arxiv.org/abs/2205.14135): one workgroup
 * per (batch·head, tile of {@link FUSED_QUERY_TILE} query rows), one invocation per query row holding its
 * scaled query, output accumulator and online-softmax state in registers. The workgroup loops over key
 * tiles staged in workgroup memory (`keyTileSize` keys); with `causal` (bottom-right aligned: query i sees
 * keys ≤ i + kvLen − qLen) it stops after the last key any of its rows can see. Memory O(N·d): scores never
 * leave registers. Rows that see no key give zeros, like the reference, and NaN and ±∞ follow core's NaN
 * rule ({@link nanRuleSoftmaxTileWGSL}). Each row also writes its log-sum-exp ({@link nanRuleRowLogSumExpWGSL}),
 * which the backward reads instead of recomputing the row's softmax statistics.
 *
 * Inputs (flat row-major): `Q [B, H, N, d]`, `K [B, Hkv, M, d]`, `V [B, Hkv, M, dv]`; output, packed in one
 * flat buffer (tfjs programs have one output binding): `[B, H, N, dv]`, then the log-sum-exp of each row
 * ({@link attentionForwardParts}).
 *
 * @example
 * ```ts
 * const program = new FusedAttentionProgram({ batch: 1, heads: 8, kvHeads: 8, qLen: 2048, kvLen: 2048,
 *   headDim: 64, valueDim: 64, causal: true });
 * backend.runWebGPUProgram(program, [q, k, v], 'float32', [{ type: 'float32', data: [0.125] }, …]);
 * ```
 */
export class FusedAttentionProgram implements WebGPUProgramSpec {
  readonly variableNames = ['Q', 'K', 'V'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [2, 3], y: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [FUSED_QUERY_TILE, 1, 1];
  readonly uniforms = 'scale : f32, qLen : i32, kvLen : i32, heads : i32, kvHeads : i32, lseAt : i32,';
  private readonly d: number;
  private readonly dv: number;
  private readonly tk: number;
  readonly w: 1 | 4;
  readonly outputComponent: number;
  readonly variableComponents: number[];
  private readonly causal: boolean;

  constructor(shape: FusedAttentionShape) {
    this.d = shape.headDim;
    this.dv = shape.valueDim;
    this.tk = keyTileSize(shape.headDim, shape.valueDim);
    this.w = vectorWidth(shape.headDim, shape.valueDim);
    this.outputComponent = this.w;
    this.variableComponents = [this.w, this.w, this.w];
    this.causal = shape.causal;
    const rows = shape.batch * shape.heads * shape.qLen;
    this.outputShape = [rows * (shape.valueDim + this.w)];
    this.dispatch = [Math.ceil(shape.qLen / FUSED_QUERY_TILE), shape.batch * shape.heads, 1];
    this.shaderKey = `eaFusedAttention_${this.d}_${this.dv}_${this.tk}_${this.w}_${this.causal}`;
  }

  /** The uniform values, in the order of {@link FusedAttentionProgram.uniforms}. */
  static uniformValues(shape: FusedAttentionShape, scale: number) {
    const w = vectorWidth(shape.headDim, shape.valueDim);
    return [
      { type: 'float32' as const, data: [scale] },
      { type: 'int32' as const, data: [shape.qLen] },
      { type: 'int32' as const, data: [shape.kvLen] },
      { type: 'int32' as const, data: [shape.heads] },
      { type: 'int32' as const, data: [shape.kvHeads] },
      { type: 'int32' as const, data: [(shape.batch * shape.heads * shape.qLen * shape.valueDim) / w] },
    ];
  }

  getUserCode(): string {
    const { d, dv, tk, w } = this;
    const T = wgslVector(w).type;
    const dw = d / w;
    const vw = dv / w;
    const regs = rowRegistersWGSL(w, dw, vw);
    const tq = FUSED_QUERY_TILE;
    // Bottom-right causal alignment: query i sees keys < i + 1 + kvLen − qLen.
    const limit = (row: string) => (this.causal ? `clamp(${row} + 1 + m - n, 0, m)` : 'm');
    return `
      var<workgroup> kTile : array<${T}, ${tk * dw}>;
      var<workgroup> vTile : array<${T}, ${tk * vw}>;
      ${regs.moduleScope}
      var<workgroup> sharedLimit : i32;

      fn main() {
        let n = uniforms.qLen;
        let m = uniforms.kvLen;
        let bh = i32(workgroupId.y);
        let b = bh / uniforms.heads;
        let h = bh - b * uniforms.heads;
        let kvPlane = b * uniforms.kvHeads + h / (uniforms.heads / uniforms.kvHeads);
        let firstRow = i32(workgroupId.x) * ${tq};
        let row = firstRow + i32(localId.x);
        let lid = i32(localIndex);

        ${regs.declare}
        var rowMax = -3.0e38;
        var rowSum = 0.0;
        var rowBad = false;
        var rowSeen = false;
        var rowLimit = 0;
        if (row < n) {
          rowLimit = ${limit('row')};
          let qBase = (bh * n + row) * ${dw};
          ${regs.loadQuery('qBase')}
        }
        // The keys the workgroup's last row sees; tfjs keeps workgroupId in a private variable, so WGSL's
        // uniformity analysis needs the bound to come through workgroupUniformLoad.
        if (lid == 0) { sharedLimit = ${limit(`min(n, firstRow + ${tq}) - 1`)}; }
        let groupLimit = workgroupUniformLoad(&sharedLimit);

        for (var k0 = 0; k0 < groupLimit; k0 = k0 + ${tk}) {
          for (var e = lid; e < ${tk * dw}; e = e + ${tq}) {
            let key = k0 + e / ${dw};
            kTile[e] = select(${T}(), K[(kvPlane * m + key) * ${dw} + e % ${dw}], key < m);
          }
          for (var e = lid; e < ${tk * vw}; e = e + ${tq}) {
            let key = k0 + e / ${vw};
            vTile[e] = select(${T}(), V[(kvPlane * m + key) * ${vw} + e % ${vw}], key < m);
          }
          workgroupBarrier();
          let count = clamp(rowLimit - k0, 0, ${tk});
          var s : array<f32, ${tk}>;
          for (var j = 0; j < count; j++) {
            let kBase = j * ${dw};
            let score = ${regs.score('kBase')};
            s[j] = score;
          }
          ${nanRuleSoftmaxTileWGSL(regs, vw, false)}
          workgroupBarrier();
        }

        if (row < n) {
          ${nanRuleRowScaleWGSL()}
          let outBase = (bh * n + row) * ${vw};
          ${regs.store('outBase', 'inv')}
          ${nanRuleRowLogSumExpWGSL()}
          result[uniforms.lseAt + bh * n + row] = ${T}(lse);
        }
      }
    `;
  }
}

/**
 * The `webgpu` kernel of core's `EAFusedAttention`: runs {@link FusedAttentionProgram} (flash-style tiling,
 * online softmax, causal early exit; Dao et al. 2022, https://arxiv.org/abs/2205.14135). Invalid inputs and
 * shapes past the program's limits (d + dv > 4095, more than 65535 workgroups along an axis) run core's
 * reference, with a one-time warning. Returns `[out, logSumExp]` (core's contract: the log-sum-exp of each
 * row, −∞ for a row that sees no key, NaN for a NaN row), which the registered gradient saves for
 * `EAFusedAttentionGrad` (`fusedAttentionGradWebGPU`, webgpu-grad.ts).
 *
 * @example
 * ```ts
 * registerWebGPUKernels(); // registers fusedAttentionWebGPU with the rest
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: true });
 * ```
 */
export const fusedAttentionWebGPU = defineKernelImplementation({
  contract: fusedAttentionKernel,
  backend: 'webgpu',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const { q, k, v } = inputs;
      const { scale, causal } = (attrs ?? {}) as unknown as Required<FusedAttentionAttrs>;
      const fallback = (reason: string) =>
        referenceFallback(fusedAttentionKernel, 'webgpu', reason, inputs, attrs);
      const dims = attentionDimsOrUndefined(fusedAttentionKernel.name, q, k, v);
      if (dims === undefined || typeof scale !== 'number' || typeof causal !== 'boolean') {
        return fallback('inputs the kernel does not take (the reference validates them)');
      }
      if (keyTileSize(dims.headDim, dims.valueDim) === 0) return fallback('headDim + valueDim exceeds 4095');
      if (
        Math.ceil(dims.qLen / FUSED_QUERY_TILE) > MAX_WORKGROUPS_PER_DIMENSION ||
        dims.batch * dims.heads > MAX_WORKGROUPS_PER_DIMENSION
      ) {
        return fallback('more workgroups than one dispatch allows');
      }
      const shape = { ...dims, causal };
      const gpu = backend as WebGPUBackendLike;
      const program = new FusedAttentionProgram(shape);
      const packed = gpu.runWebGPUProgram(
        program,
        [q!, k!, v!],
        'float32',
        FusedAttentionProgram.uniformValues(shape, scale),
      );
      return splitPackedOutput(gpu, packed, attentionForwardParts({ ...dims, w: program.w }));
    },
});
