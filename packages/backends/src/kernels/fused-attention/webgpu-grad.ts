import {
  type FusedAttentionAttrs,
  fusedAttentionGradKernel,
  fusedAttentionKernel,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import {
  AttentionRowStatsProgram,
  attentionProbabilityWGSL,
  queryTileSize,
} from '../../runtime/webgpu/attention-grad.js';
import { splitPackedOutput } from '../../runtime/webgpu/packed-output.js';
import { MAX_UNROLLED_VECTOR_WORDS, registerVectorsWGSL } from '../../runtime/webgpu/register-vectors.js';
import {
  keyTileSize,
  MAX_WORKGROUPS_PER_DIMENSION,
  vectorWidth,
  type WebGPUBackendLike,
  type WebGPUProgramSpec,
  wgslVector,
} from '../../runtime/webgpu/webgpu-program.js';
import { attentionDimsOrUndefined, referenceFallback } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';
import type { FusedAttentionShape } from './webgpu.js';

/** Keys per workgroup of {@link FusedAttentionGradKVProgram} (one invocation per key). */
export const GRAD_KEY_TILE = 64;
/** Query rows per workgroup of {@link FusedAttentionGradQProgram} (one invocation per query row). */
export const GRAD_QUERY_TILE = 64;

/**
 * WGSL of FlashAttention-2's dK/dV pass (Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 2): one
 * workgroup per (batch·kv head, tile of {@link GRAD_KEY_TILE} keys), one invocation per key holding its
 * scaled key, value and dK/dV accumulators in registers. The workgroup loops over the query heads of its kv
 * head (grouped-query attention: dK, dV summed over the group, owned by one workgroup, no atomics) and over
 * their query tiles (q, dO and the row statistics staged in workgroup memory); with `causal` (bottom-right
 * aligned: query i sees keys ≤ i + kvLen − qLen) it starts at the first query that sees its first key. For
 * every visible pair: P = exp(s − logSumExp) ({@link attentionProbabilityWGSL}), dV += P·dO,
 * dS = P·(dO·v − D), dK += dS·q; dK is scaled at the end. Memory O(N·d): no N² buffer.
 *
 * Inputs (flat row-major): `Q [B, H, N, d]`, `K [B, Hkv, M, d]`, `V [B, Hkv, M, dv]`, `DO [B, H, N, dv]`,
 * `Stats [B, H, N, 2]` (from {@link AttentionRowStatsProgram}). Output: dK `[B, Hkv, M, d]` then dV
 * `[B, Hkv, M, dv]`, packed in one flat buffer (tfjs programs have one output binding; see
 * {@link FusedAttentionGradKVProgram.packedParts}).
 *
 * @example
 * ```ts
 * const packed = backend.runWebGPUProgram(new FusedAttentionGradKVProgram(shape), [q, k, v, dOut, stats],
 *   'float32', FusedAttentionGradKVProgram.uniformValues(shape, scale));
 * const [dk, dv] = splitPackedOutput(backend, packed, FusedAttentionGradKVProgram.packedParts(shape));
 * ```
 */
export class FusedAttentionGradKVProgram implements WebGPUProgramSpec {
  readonly variableNames = ['Q', 'K', 'V', 'DO', 'Stats'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0], y: [1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [GRAD_KEY_TILE, 1, 1];
  readonly uniforms = 'scale : f32, qLen : i32, kvLen : i32, heads : i32, kvHeads : i32, dvAt : i32,';
  readonly outputComponent: number;
  readonly variableComponents: number[];
  private readonly d: number;
  private readonly dv: number;
  private readonly tq: number;
  private readonly w: 1 | 4;
  private readonly causal: boolean;

  constructor(shape: FusedAttentionShape) {
    this.d = shape.headDim;
    this.dv = shape.valueDim;
    this.tq = queryTileSize(shape.headDim, shape.valueDim);
    this.w = vectorWidth(shape.headDim, shape.valueDim);
    this.outputComponent = this.w;
    this.variableComponents = [this.w, this.w, this.w, this.w, 1];
    this.causal = shape.causal;
    this.outputShape = [shape.batch * shape.kvHeads * shape.kvLen * (shape.headDim + shape.valueDim)];
    this.dispatch = [Math.ceil(shape.kvLen / GRAD_KEY_TILE), shape.batch * shape.kvHeads, 1];
    this.shaderKey = `eaFusedAttentionGradKV_${this.d}_${this.dv}_${this.tq}_${this.w}_${this.causal}`;
  }

  /** The uniform values, in the order of {@link FusedAttentionGradKVProgram.uniforms}. */
  static uniformValues(shape: FusedAttentionShape, scale: number) {
    const w = vectorWidth(shape.headDim, shape.valueDim);
    return [
      { type: 'float32' as const, data: [scale] },
      { type: 'int32' as const, data: [shape.qLen] },
      { type: 'int32' as const, data: [shape.kvLen] },
      { type: 'int32' as const, data: [shape.heads] },
      { type: 'int32' as const, data: [shape.kvHeads] },
      { type: 'int32' as const, data: [(shape.batch * shape.kvHeads * shape.kvLen * shape.headDim) / w] },
    ];
  }

  /** Where dK and dV sit in the packed output. */
  static packedParts(shape: {
    batch: number;
    kvHeads: number;
    kvLen: number;
    headDim: number;
    valueDim: number;
  }) {
    const { batch, kvHeads, kvLen, headDim, valueDim } = shape;
    return [
      { shape: [batch, kvHeads, kvLen, headDim], offset: 0, stride: 1 as const },
      {
        shape: [batch, kvHeads, kvLen, valueDim],
        offset: batch * kvHeads * kvLen * headDim,
        stride: 1 as const,
      },
    ];
  }

  getUserCode(): string {
    const { d, dv, tq, w } = this;
    const { type: T, dot } = wgslVector(w);
    const dw = d / w;
    const vw = dv / w;
    const tk = GRAD_KEY_TILE;
    const r = registerVectorsWGSL(dw <= MAX_UNROLLED_VECTOR_WORDS && vw <= MAX_UNROLLED_VECTOR_WORDS);
    const at = r.at;
    // Bottom-right causal alignment: query i sees key j when i ≥ j − (kvLen − qLen).
    const firstRow = (key: string) => (this.causal ? `${key} - (m - n)` : '0');
    return `
      var<workgroup> qTile : array<${T}, ${tq * dw}>;
      var<workgroup> gTile : array<${T}, ${tq * vw}>;
      var<workgroup> statTile : array<vec2<f32>, ${tq}>;
      var<workgroup> sharedStart : i32;
      ${attentionProbabilityWGSL()}

      fn main() {
        let n = uniforms.qLen;
        let m = uniforms.kvLen;
        let group = uniforms.heads / uniforms.kvHeads;
        let bkv = i32(workgroupId.y);
        let b = bkv / uniforms.kvHeads;
        let kvh = bkv - b * uniforms.kvHeads;
        let firstKey = i32(workgroupId.x) * ${tk};
        let key = firstKey + i32(localId.x);
        let lid = i32(localIndex);
        let validKey = key < m;

        ${r.declare('k', T, dw)}
        ${r.declare('v', T, vw)}
        ${r.declare('dk', T, dw)}
        ${r.declare('dv', T, vw)}
        if (validKey) {
          let kBase = (bkv * m + key) * ${dw};
          let vBase = (bkv * m + key) * ${vw};
          ${r.each(dw, (t) => `${at('k', t)} = K[kBase + ${t}] * uniforms.scale;`)}
          ${r.each(vw, (t) => `${at('v', t)} = V[vBase + ${t}];`)}
        }
        let keyFirstRow = ${firstRow('key')};
        // The first query row any key of the workgroup is seen by; tfjs keeps workgroupId in a private
        // variable, so WGSL's uniformity analysis needs loop bounds around barriers through workgroupUniformLoad.
        if (lid == 0) { sharedStart = clamp(${firstRow('firstKey')}, 0, n); }
        let qStart = workgroupUniformLoad(&sharedStart);

        for (var g = 0; g < group; g++) {
          let bh = b * uniforms.heads + kvh * group + g;
          for (var q0 = qStart; q0 < n; q0 = q0 + ${tq}) {
            for (var e = lid; e < ${tq * dw}; e = e + ${tk}) {
              let row = q0 + e / ${dw};
              qTile[e] = select(${T}(), Q[(bh * n + row) * ${dw} + e % ${dw}], row < n);
            }
            for (var e = lid; e < ${tq * vw}; e = e + ${tk}) {
              let row = q0 + e / ${vw};
              gTile[e] = select(${T}(), DO[(bh * n + row) * ${vw} + e % ${vw}], row < n);
            }
            for (var e = lid; e < ${tq}; e = e + ${tk}) {
              let row = bh * n + q0 + e;
              statTile[e] = select(vec2<f32>(), vec2<f32>(Stats[2 * row], Stats[2 * row + 1]), q0 + e < n);
            }
            workgroupBarrier();
            if (validKey) {
              let count = min(n - q0, ${tq});
              for (var i = max(0, keyFirstRow - q0); i < count; i++) {
                let qBase = i * ${dw};
                let gBase = i * ${vw};
                ${r.sum(dw, 's', (t) => dot(at('k', t), `qTile[qBase + ${t}]`))}
                let stat = statTile[i];
                let p = attentionProbability(s, stat.x);
                ${r.sum(vw, 'dp', (t) => dot(at('v', t), `gTile[gBase + ${t}]`))}
                let ds = p * (dp - stat.y);
                ${r.each(vw, (t) => `${at('dv', t)} = ${at('dv', t)} + p * gTile[gBase + ${t}];`)}
                ${r.each(dw, (t) => `${at('dk', t)} = ${at('dk', t)} + ds * qTile[qBase + ${t}];`)}
              }
            }
            workgroupBarrier();
          }
        }

        if (validKey) {
          let dkBase = (bkv * m + key) * ${dw};
          let dvBase = uniforms.dvAt + (bkv * m + key) * ${vw};
          ${r.each(dw, (t) => `result[dkBase + ${t}] = ${at('dk', t)} * uniforms.scale;`)}
          ${r.each(vw, (t) => `result[dvBase + ${t}] = ${at('dv', t)};`)}
        }
      }
    `;
  }
}

/**
 * WGSL of FlashAttention-2's dQ pass (Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 2), a separate
 * dispatch because WGSL has no float atomics: one workgroup per (batch·head, tile of
 * {@link GRAD_QUERY_TILE} query rows), one invocation per row holding its scaled query, dO row, dQ
 * accumulator and row statistics in registers; key and value tiles are staged in workgroup memory, and
 * with `causal` the loop stops after the last key a row of the workgroup sees (as the forward). For every
 * visible key: P = exp(s − logSumExp), dS = P·(dO·v − D), dQ += dS·k; scaled at the end. Rows that see no
 * key get a zero gradient.
 *
 * Inputs as {@link FusedAttentionGradKVProgram}; output dQ `[B, H, N, d]`.
 *
 * @example
 * ```ts
 * const dq = backend.runWebGPUProgram(new FusedAttentionGradQProgram(shape), [q, k, v, dOut, stats],
 *   'float32', FusedAttentionGradQProgram.uniformValues(shape, scale));
 * ```
 */
export class FusedAttentionGradQProgram implements WebGPUProgramSpec {
  readonly variableNames = ['Q', 'K', 'V', 'DO', 'Stats'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [2, 3], y: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [GRAD_QUERY_TILE, 1, 1];
  readonly uniforms = 'scale : f32, qLen : i32, kvLen : i32, heads : i32, kvHeads : i32,';
  readonly outputComponent: number;
  readonly variableComponents: number[];
  private readonly d: number;
  private readonly dv: number;
  private readonly tk: number;
  private readonly w: 1 | 4;
  private readonly causal: boolean;

  constructor(shape: FusedAttentionShape) {
    this.d = shape.headDim;
    this.dv = shape.valueDim;
    this.tk = keyTileSize(shape.headDim, shape.valueDim);
    this.w = vectorWidth(shape.headDim, shape.valueDim);
    this.outputComponent = this.w;
    this.variableComponents = [this.w, this.w, this.w, this.w, 1];
    this.causal = shape.causal;
    this.outputShape = [shape.batch, shape.heads, shape.qLen, shape.headDim];
    this.dispatch = [Math.ceil(shape.qLen / GRAD_QUERY_TILE), shape.batch * shape.heads, 1];
    this.shaderKey = `eaFusedAttentionGradQ_${this.d}_${this.dv}_${this.tk}_${this.w}_${this.causal}`;
  }

  /** The uniform values, in the order of {@link FusedAttentionGradQProgram.uniforms}. */
  static uniformValues(shape: FusedAttentionShape, scale: number) {
    return [
      { type: 'float32' as const, data: [scale] },
      { type: 'int32' as const, data: [shape.qLen] },
      { type: 'int32' as const, data: [shape.kvLen] },
      { type: 'int32' as const, data: [shape.heads] },
      { type: 'int32' as const, data: [shape.kvHeads] },
    ];
  }

  getUserCode(): string {
    const { d, dv, tk, w } = this;
    const { type: T, dot } = wgslVector(w);
    const dw = d / w;
    const vw = dv / w;
    const tq = GRAD_QUERY_TILE;
    const r = registerVectorsWGSL(dw <= MAX_UNROLLED_VECTOR_WORDS && vw <= MAX_UNROLLED_VECTOR_WORDS);
    const at = r.at;
    // Bottom-right causal alignment: query i sees keys < i + 1 + kvLen − qLen.
    const limit = (row: string) => (this.causal ? `clamp(${row} + 1 + m - n, 0, m)` : 'm');
    return `
      var<workgroup> kTile : array<${T}, ${tk * dw}>;
      var<workgroup> vTile : array<${T}, ${tk * vw}>;
      var<workgroup> sharedLimit : i32;
      ${attentionProbabilityWGSL()}

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

        ${r.declare('q', T, dw)}
        ${r.declare('g', T, vw)}
        ${r.declare('dq', T, dw)}
        var lse = 0.0;
        var delta = 0.0;
        var rowLimit = 0;
        if (row < n) {
          rowLimit = ${limit('row')};
          let qBase = (bh * n + row) * ${dw};
          let gBase = (bh * n + row) * ${vw};
          ${r.each(dw, (t) => `${at('q', t)} = Q[qBase + ${t}] * uniforms.scale;`)}
          ${r.each(vw, (t) => `${at('g', t)} = DO[gBase + ${t}];`)}
          lse = Stats[2 * (bh * n + row)];
          delta = Stats[2 * (bh * n + row) + 1];
        }
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
          for (var j = 0; j < count; j++) {
            let kBase = j * ${dw};
            let vBase = j * ${vw};
            ${r.sum(dw, 's', (t) => dot(at('q', t), `kTile[kBase + ${t}]`))}
            let p = attentionProbability(s, lse);
            ${r.sum(vw, 'dp', (t) => dot(at('g', t), `vTile[vBase + ${t}]`))}
            let ds = p * (dp - delta);
            ${r.each(dw, (t) => `${at('dq', t)} = ${at('dq', t)} + ds * kTile[kBase + ${t}];`)}
          }
          workgroupBarrier();
        }

        if (row < n) {
          let outBase = (bh * n + row) * ${dw};
          ${r.each(dw, (t) => `result[outBase + ${t}] = ${at('dq', t)} * uniforms.scale;`)}
        }
      }
    `;
  }
}

/** The dispatch limits the dense backward programs stay within, or the reason they do not. */
export function fusedAttentionGradLimit(shape: FusedAttentionShape): string | undefined {
  if (
    keyTileSize(shape.headDim, shape.valueDim) === 0 ||
    queryTileSize(shape.headDim, shape.valueDim) === 0
  ) {
    return 'headDim + valueDim exceeds 4094';
  }
  const groups = [
    Math.ceil(shape.qLen / GRAD_QUERY_TILE),
    shape.batch * shape.heads,
    Math.ceil(shape.kvLen / GRAD_KEY_TILE),
  ];
  if (groups.some((g) => g > MAX_WORKGROUPS_PER_DIMENSION)) return 'more workgroups than one dispatch allows';
  return undefined;
}

/** `t` is float32 with shape `shape`. */
function hasShape(t: tf.TensorInfo | undefined, shape: number[]): boolean {
  return (
    t !== undefined &&
    t.dtype === 'float32' &&
    t.shape.length === shape.length &&
    t.shape.every((s, i) => s === shape[i])
  );
}

/**
 * The `webgpu` kernel of core's `EAFusedAttentionGrad`: FlashAttention-2's backward (Dao 2023,
 * https://arxiv.org/abs/2307.08691, Algorithm 2) in four dispatches — D = rowsum(dO ∘ O)
 * ({@link AttentionRowStatsProgram}), dK/dV per key tile ({@link FusedAttentionGradKVProgram}), dQ per query
 * tile ({@link FusedAttentionGradQProgram}), and the copy of dK and dV out of their packed buffer — with
 * O(N·d) memory. Causal (bottom-right aligned), grouped-query heads; rows with no visible key get zero
 * gradients; NaN reaches exactly the gradients that see it. Inputs the kernel does not take run core's
 * reference, which raises their error.
 *
 * @example
 * ```ts
 * registerWebGPUKernels(); // registers fusedAttentionGradWebGPU with the rest
 * const [dq] = tf.grads((q: tf.Tensor) => fusedAttentionKernel.run({ q, k, v }, { causal: true }))([q]);
 * ```
 */
export const fusedAttentionGradWebGPU = defineKernelImplementation({
  contract: fusedAttentionGradKernel,
  backend: 'webgpu',
  gradientOf: fusedAttentionKernel,
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const { q, k, v, out, dOut, logSumExp } = inputs;
      const { scale, causal } = (attrs ?? {}) as unknown as Required<FusedAttentionAttrs>;
      const fallback = (reason: string) =>
        referenceFallback(fusedAttentionGradKernel, 'webgpu', reason, inputs, attrs);
      const dims = attentionDimsOrUndefined(fusedAttentionGradKernel.name, q, k, v);
      if (dims === undefined || typeof scale !== 'number' || typeof causal !== 'boolean') {
        return fallback('inputs the kernel does not take (the reference validates them)');
      }
      const rowShape = [dims.batch, dims.heads, dims.qLen];
      const rowsOk =
        hasShape(out, [...rowShape, dims.valueDim]) &&
        hasShape(dOut, [...rowShape, dims.valueDim]) &&
        hasShape(logSumExp, rowShape);
      if (!rowsOk) return fallback('inputs the kernel does not take (the reference validates them)');
      const shape = { ...dims, causal };
      const limit = fusedAttentionGradLimit(shape);
      if (limit !== undefined) return fallback(limit);
      const gpu = backend as WebGPUBackendLike;
      const statsShape = { rows: dims.batch * dims.heads * dims.qLen, valueDim: dims.valueDim };
      const stats = gpu.runWebGPUProgram(
        new AttentionRowStatsProgram(statsShape),
        [out!, dOut!, logSumExp!],
        'float32',
        AttentionRowStatsProgram.uniformValues(statsShape),
      );
      try {
        const operands = [q!, k!, v!, dOut!, stats];
        const dq = gpu.runWebGPUProgram(
          new FusedAttentionGradQProgram(shape),
          operands,
          'float32',
          FusedAttentionGradQProgram.uniformValues(shape, scale),
        );
        const packed = gpu.runWebGPUProgram(
          new FusedAttentionGradKVProgram(shape),
          operands,
          'float32',
          FusedAttentionGradKVProgram.uniformValues(shape, scale),
        );
        const [dk, dv] = splitPackedOutput(gpu, packed, FusedAttentionGradKVProgram.packedParts(dims));
        return [dq, dk!, dv!];
      } finally {
        gpu.disposeData(stats.dataId);
      }
    },
});
