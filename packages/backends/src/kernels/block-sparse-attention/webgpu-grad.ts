import {
  type BlockSparseAttentionAttrs,
  blockSparseAttentionGradKernel,
  blockSparseAttentionKernel,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
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
import { FusedAttentionGradKVProgram } from '../fused-attention/webgpu-grad.js';
import { type BlockSparseAttentionShape, blockSparseShape, referenceFallback } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';
import { BLOCK_LIST_NAMES, blockListSections } from './webgpu.js';

/** Most invocations per workgroup of the block-sparse backward programs (fewer when the block is smaller). */
export const BLOCK_SPARSE_GRAD_TILE = 64;

/** The uniforms both block-sparse backward programs declare: shapes, then the block lists' layout. */
const UNIFORMS =
  'scale : f32, qLen : i32, kvLen : i32, heads : i32, kvHeads : i32, maskBatch : i32, maskHeads : i32, qBlocks : i32, maxKv : i32, maxFullKv : i32, kvIdxAt : i32, fullNumAt : i32, fullIdxAt : i32, offsetsAt : i32, dvAt : i32,';

function uniformValues(shape: BlockSparseAttentionShape, scale: number) {
  const int = (x: number) => ({ type: 'int32' as const, data: [x] });
  const w = vectorWidth(shape.headDim, shape.valueDim);
  return [
    { type: 'float32' as const, data: [scale] },
    int(shape.qLen),
    int(shape.kvLen),
    int(shape.heads),
    int(shape.kvHeads),
    int(shape.maskBatch),
    int(shape.maskHeads),
    int(Math.ceil(shape.qLen / shape.blockSize)),
    int(shape.maxKv),
    int(shape.maxFullKv),
    ...blockListSections(shape).map(int),
    int((shape.batch * shape.kvHeads * shape.kvLen * shape.headDim) / w),
  ];
}

/** WGSL: the mask plane (batch, head) of query head `h` of batch `b` (a size-1 mask dim broadcasts). */
const MASK_PLANE = `select(b, 0, uniforms.maskBatch == 1) * uniforms.maskHeads
          + select(h, 0, uniforms.maskHeads == 1)`;

/**
 * WGSL of FlashAttention-2's dQ pass (Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 2) over a
 * compiled block mask (core's `EABlockSparseAttention` layout: FlexAttention's BlockMask,
 * https://arxiv.org/abs/2412.05496, plus a bitmask per partial block): one workgroup per (batch·head, query
 * block, chunk of rows), one invocation per query row holding its scaled query, dO row, dQ accumulator and
 * row statistics in registers. It walks the same key blocks as the forward — the query block's full blocks
 * (no per-element check), then its partial blocks (one bit per pair) — staging keys and values tile by
 * tile; for every visible pair P = exp(s − logSumExp), dS = P·(dO·v − D), dQ += dS·k. Rows that see no key
 * get a zero gradient; masked keys are never read into a row.
 *
 * Inputs: `Q, K, V, DO`, `Stats [B, H, N, 2]` (log-sum-exp, D), `Lists` and `PMasks` as the forward's
 * program; output dQ `[B, H, N, d]`.
 *
 * @example
 * ```ts
 * const dq = backend.runWebGPUProgram(new BlockSparseAttentionGradQProgram(shape),
 *   [q, k, v, dOut, stats, lists, partialMasks], 'float32', BlockSparseAttentionGradQProgram.uniformValues(shape, scale));
 * ```
 */
export class BlockSparseAttentionGradQProgram implements WebGPUProgramSpec {
  readonly variableNames = ['Q', 'K', 'V', 'DO', 'Stats', 'Lists', 'PMasks'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [2, 3], y: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly uniforms = UNIFORMS;
  readonly outputComponent: number;
  readonly variableComponents: number[];
  private readonly d: number;
  private readonly dv: number;
  private readonly bs: number;
  private readonly tk: number;
  private readonly tq: number;
  private readonly w: 1 | 4;
  private readonly chunks: number;

  constructor(shape: BlockSparseAttentionShape) {
    this.d = shape.headDim;
    this.dv = shape.valueDim;
    this.bs = shape.blockSize;
    this.tk = keyTileSize(shape.headDim, shape.valueDim);
    this.tq = Math.min(BLOCK_SPARSE_GRAD_TILE, shape.blockSize);
    this.workgroupSize = [this.tq, 1, 1];
    this.w = vectorWidth(shape.headDim, shape.valueDim);
    this.outputComponent = this.w;
    this.variableComponents = [this.w, this.w, this.w, this.w, 1, 1, 1];
    this.chunks = Math.ceil(shape.blockSize / this.tq);
    const qBlocks = Math.ceil(shape.qLen / shape.blockSize);
    this.outputShape = [shape.batch, shape.heads, shape.qLen, shape.headDim];
    this.dispatch = [qBlocks * this.chunks, shape.batch * shape.heads, 1];
    this.shaderKey = `eaBlockSparseAttentionGradQ_${this.d}_${this.dv}_${this.bs}_${this.tk}_${this.tq}_${this.w}`;
  }

  /** The uniform values, in the order of {@link BlockSparseAttentionGradQProgram.uniforms}. */
  static uniformValues(shape: BlockSparseAttentionShape, scale: number) {
    return uniformValues(shape, scale);
  }

  getUserCode(): string {
    const { d, dv, bs, tk, tq, chunks, w } = this;
    const { type: T, dot } = wgslVector(w);
    const dw = d / w;
    const vw = dv / w;
    const words = Math.ceil(bs / 32);
    const r = registerVectorsWGSL(dw <= MAX_UNROLLED_VECTOR_WORDS && vw <= MAX_UNROLLED_VECTOR_WORDS);
    const at = r.at;
    return `
      var<workgroup> kTile : array<${T}, ${tk * dw}>;
      var<workgroup> vTile : array<${T}, ${tk * vw}>;
      var<workgroup> sharedCount : vec2<i32>;
      var<workgroup> sharedBlock : vec2<i32>;
      ${attentionProbabilityWGSL()}

      fn main() {
        let n = uniforms.qLen;
        let m = uniforms.kvLen;
        let bh = i32(workgroupId.y);
        let b = bh / uniforms.heads;
        let h = bh - b * uniforms.heads;
        let kvPlane = b * uniforms.kvHeads + h / (uniforms.heads / uniforms.kvHeads);
        let r = i32(workgroupId.x) / ${chunks};
        let i = (i32(workgroupId.x) - r * ${chunks}) * ${tq} + i32(localId.x);
        let row = r * ${bs} + i;
        let valid = i < ${bs} && row < n;
        let lid = i32(localIndex);
        let maskRow = (${MASK_PLANE}) * uniforms.qBlocks + r;
        // tfjs keeps workgroupId in a private variable: values derived from it reach WGSL's uniformity
        // analysis (loop bounds around barriers) through workgroupUniformLoad.
        if (lid == 0) {
          let nFull = Lists[uniforms.fullNumAt + maskRow];
          sharedCount = vec2<i32>(nFull, nFull + Lists[maskRow]);
        }
        let counts = workgroupUniformLoad(&sharedCount);
        let nFull = counts.x;
        let nVisited = counts.y;

        ${r.declare('q', T, dw)}
        ${r.declare('g', T, vw)}
        ${r.declare('dq', T, dw)}
        var lse = 0.0;
        var delta = 0.0;
        if (valid) {
          let qBase = (bh * n + row) * ${dw};
          let gBase = (bh * n + row) * ${vw};
          ${r.each(dw, (t) => `${at('q', t)} = Q[qBase + ${t}] * uniforms.scale;`)}
          ${r.each(vw, (t) => `${at('g', t)} = DO[gBase + ${t}];`)}
          lse = Stats[2 * (bh * n + row)];
          delta = Stats[2 * (bh * n + row) + 1];
        }

        for (var visit = 0; visit < nVisited; visit++) {
          let full = visit < nFull;
          if (lid == 0) {
            if (full) {
              sharedBlock = vec2<i32>(Lists[uniforms.fullIdxAt + maskRow * uniforms.maxFullKv + visit], 0);
            } else {
              sharedBlock = vec2<i32>(Lists[uniforms.kvIdxAt + maskRow * uniforms.maxKv + visit - nFull],
                Lists[uniforms.offsetsAt + maskRow] + visit - nFull);
            }
          }
          let blockAndMask = workgroupUniformLoad(&sharedBlock);
          let maskIndex = blockAndMask.y;
          let kStart = blockAndMask.x * ${bs};
          let kEnd = min(m, kStart + ${bs});
          for (var k0 = kStart; k0 < kEnd; k0 = k0 + ${tk}) {
            for (var e = lid; e < ${tk * dw}; e = e + ${tq}) {
              let key = k0 + e / ${dw};
              kTile[e] = select(${T}(), K[(kvPlane * m + key) * ${dw} + e % ${dw}], key < kEnd);
            }
            for (var e = lid; e < ${tk * vw}; e = e + ${tq}) {
              let key = k0 + e / ${vw};
              vTile[e] = select(${T}(), V[(kvPlane * m + key) * ${vw} + e % ${vw}], key < kEnd);
            }
            workgroupBarrier();
            if (valid) {
              let count = min(kEnd - k0, ${tk});
              for (var j = 0; j < count; j++) {
                var ok = full;
                if (!full) {
                  let c = k0 - kStart + j;
                  let word = u32(PMasks[(maskIndex * ${bs} + i) * ${words} + (c >> 5)]);
                  ok = ((word >> u32(c & 31)) & 1u) == 1u;
                }
                if (ok) {
                  let kBase = j * ${dw};
                  let vBase = j * ${vw};
                  ${r.sum(dw, 's', (t) => dot(at('q', t), `kTile[kBase + ${t}]`))}
                  let p = attentionProbability(s, lse);
                  ${r.sum(vw, 'dp', (t) => dot(at('g', t), `vTile[vBase + ${t}]`))}
                  let ds = p * (dp - delta);
                  ${r.each(dw, (t) => `${at('dq', t)} = ${at('dq', t)} + ds * kTile[kBase + ${t}];`)}
                }
              }
            }
            workgroupBarrier();
          }
        }

        if (valid) {
          let outBase = (bh * n + row) * ${dw};
          ${r.each(dw, (t) => `result[outBase + ${t}] = ${at('dq', t)} * uniforms.scale;`)}
        }
      }
    `;
  }
}

/**
 * WGSL of FlashAttention-2's dK/dV pass (Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 2) over a
 * compiled block mask: one workgroup per (batch·kv head, key block, chunk of keys), one invocation per key
 * holding its scaled key, value and dK/dV accumulators in registers. For each query head of its kv head
 * (grouped-query attention, summed in registers: no atomics) and each query block, it finds its key block
 * in the query block's ascending full and partial lists (a binary search: the transposed lists are never
 * built) and visits only the query blocks that list it, staging their q, dO and row statistics tile by
 * tile; for every visible pair (full block, or the pair's bit) P = exp(s − logSumExp), dV += P·dO,
 * dS = P·(dO·v − D), dK += dS·q. Keys no query sees get zero gradients; memory O(N·d).
 *
 * Inputs as {@link BlockSparseAttentionGradQProgram}; output dK `[B, Hkv, M, d]` then dV `[B, Hkv, M, dv]`,
 * packed in one flat buffer ({@link FusedAttentionGradKVProgram.packedParts}).
 *
 * @example
 * ```ts
 * const packed = backend.runWebGPUProgram(new BlockSparseAttentionGradKVProgram(shape),
 *   [q, k, v, dOut, stats, lists, partialMasks], 'float32', BlockSparseAttentionGradKVProgram.uniformValues(shape, scale));
 * ```
 */
export class BlockSparseAttentionGradKVProgram implements WebGPUProgramSpec {
  readonly variableNames = ['Q', 'K', 'V', 'DO', 'Stats', 'Lists', 'PMasks'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0], y: [1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly uniforms = UNIFORMS;
  readonly outputComponent: number;
  readonly variableComponents: number[];
  private readonly d: number;
  private readonly dv: number;
  private readonly bs: number;
  private readonly tk: number;
  private readonly tq: number;
  private readonly w: 1 | 4;
  private readonly chunks: number;

  constructor(shape: BlockSparseAttentionShape) {
    this.d = shape.headDim;
    this.dv = shape.valueDim;
    this.bs = shape.blockSize;
    this.tk = Math.min(BLOCK_SPARSE_GRAD_TILE, shape.blockSize);
    this.tq = queryTileSize(shape.headDim, shape.valueDim);
    this.workgroupSize = [this.tk, 1, 1];
    this.w = vectorWidth(shape.headDim, shape.valueDim);
    this.outputComponent = this.w;
    this.variableComponents = [this.w, this.w, this.w, this.w, 1, 1, 1];
    this.chunks = Math.ceil(shape.blockSize / this.tk);
    const kvBlocks = Math.ceil(shape.kvLen / shape.blockSize);
    this.outputShape = [shape.batch * shape.kvHeads * shape.kvLen * (shape.headDim + shape.valueDim)];
    this.dispatch = [kvBlocks * this.chunks, shape.batch * shape.kvHeads, 1];
    this.shaderKey = `eaBlockSparseAttentionGradKV_${this.d}_${this.dv}_${this.bs}_${this.tk}_${this.tq}_${this.w}`;
  }

  /** The uniform values, in the order of {@link BlockSparseAttentionGradKVProgram.uniforms}. */
  static uniformValues(shape: BlockSparseAttentionShape, scale: number) {
    return uniformValues(shape, scale);
  }

  getUserCode(): string {
    const { d, dv, bs, tk, tq, chunks, w } = this;
    const { type: T, dot } = wgslVector(w);
    const dw = d / w;
    const vw = dv / w;
    const words = Math.ceil(bs / 32);
    const r = registerVectorsWGSL(dw <= MAX_UNROLLED_VECTOR_WORDS && vw <= MAX_UNROLLED_VECTOR_WORDS);
    const at = r.at;
    return `
      var<workgroup> qTile : array<${T}, ${tq * dw}>;
      var<workgroup> gTile : array<${T}, ${tq * vw}>;
      var<workgroup> statTile : array<vec2<f32>, ${tq}>;
      var<workgroup> sharedHit : vec2<i32>;
      ${attentionProbabilityWGSL()}

      // Position of key block jb in the ascending list of count entries at start, or -1.
      fn findBlock(start : i32, count : i32, jb : i32) -> i32 {
        var lo = 0;
        var hi = count;
        while (lo < hi) {
          let mid = (lo + hi) / 2;
          if (Lists[start + mid] < jb) { lo = mid + 1; } else { hi = mid; }
        }
        return select(-1, lo, lo < count && Lists[start + lo] == jb);
      }

      fn main() {
        let n = uniforms.qLen;
        let m = uniforms.kvLen;
        let group = uniforms.heads / uniforms.kvHeads;
        let bkv = i32(workgroupId.y);
        let b = bkv / uniforms.kvHeads;
        let kvh = bkv - b * uniforms.kvHeads;
        let jb = i32(workgroupId.x) / ${chunks};
        let c = (i32(workgroupId.x) - jb * ${chunks}) * ${tk} + i32(localId.x);
        let key = jb * ${bs} + c;
        let validKey = c < ${bs} && key < m;
        let lid = i32(localIndex);

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

        for (var g = 0; g < group; g++) {
          let h = kvh * group + g;
          let bh = b * uniforms.heads + h;
          let plane = ${MASK_PLANE};
          for (var qb = 0; qb < uniforms.qBlocks; qb++) {
            // Is key block jb listed for query block qb: (1 full | 2 partial | 0 no, its bitmask index)?
            if (lid == 0) {
              let maskRow = plane * uniforms.qBlocks + qb;
              let inFull = findBlock(uniforms.fullIdxAt + maskRow * uniforms.maxFullKv,
                Lists[uniforms.fullNumAt + maskRow], jb);
              let inPartial = findBlock(uniforms.kvIdxAt + maskRow * uniforms.maxKv, Lists[maskRow], jb);
              if (inFull >= 0) { sharedHit = vec2<i32>(1, 0); }
              else if (inPartial >= 0) { sharedHit = vec2<i32>(2, Lists[uniforms.offsetsAt + maskRow] + inPartial); }
              else { sharedHit = vec2<i32>(0, 0); }
            }
            let hit = workgroupUniformLoad(&sharedHit);
            if (hit.x == 0) { continue; }
            let full = hit.x == 1;
            let maskIndex = hit.y;
            let rowStart = qb * ${bs};
            let rowEnd = min(n, rowStart + ${bs});
            for (var q0 = rowStart; q0 < rowEnd; q0 = q0 + ${tq}) {
              for (var e = lid; e < ${tq * dw}; e = e + ${tk}) {
                let row = q0 + e / ${dw};
                qTile[e] = select(${T}(), Q[(bh * n + row) * ${dw} + e % ${dw}], row < rowEnd);
              }
              for (var e = lid; e < ${tq * vw}; e = e + ${tk}) {
                let row = q0 + e / ${vw};
                gTile[e] = select(${T}(), DO[(bh * n + row) * ${vw} + e % ${vw}], row < rowEnd);
              }
              for (var e = lid; e < ${tq}; e = e + ${tk}) {
                let row = bh * n + q0 + e;
                statTile[e] = select(vec2<f32>(), vec2<f32>(Stats[2 * row], Stats[2 * row + 1]), q0 + e < rowEnd);
              }
              workgroupBarrier();
              if (validKey) {
                let count = min(rowEnd - q0, ${tq});
                for (var i = 0; i < count; i++) {
                  var ok = full;
                  if (!full) {
                    let word = u32(PMasks[(maskIndex * ${bs} + q0 - rowStart + i) * ${words} + (c >> 5)]);
                    ok = ((word >> u32(c & 31)) & 1u) == 1u;
                  }
                  if (ok) {
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
              }
              workgroupBarrier();
            }
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
 * The `webgpu` kernel of core's `EABlockSparseAttentionGrad`: FlashAttention-2's backward (Dao 2023,
 * https://arxiv.org/abs/2307.08691, Algorithm 2) over the forward's block lists and partial-block bitmasks,
 * skipping the same empty blocks — D = rowsum(dO ∘ O) ({@link AttentionRowStatsProgram}), dQ per query
 * block ({@link BlockSparseAttentionGradQProgram}), dK/dV per key block
 * ({@link BlockSparseAttentionGradKVProgram}) — with O(N·d) memory. Rows with no visible key get zero
 * gradients; NaN reaches exactly the gradients that see it. Inputs the kernel does not take run core's
 * reference, which raises their error.
 *
 * @example
 * ```ts
 * registerWebGPUKernels(); // registers blockSparseAttentionGradWebGPU with the rest
 * const [dq] = tf.grads((q: tf.Tensor) => blockSparseAttentionKernel.run({ q, k, v, ...mask }, attrs))([q]);
 * ```
 */
export const blockSparseAttentionGradWebGPU = defineKernelImplementation({
  contract: blockSparseAttentionGradKernel,
  backend: 'webgpu',
  gradientOf: blockSparseAttentionKernel,
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const a = (attrs ?? {}) as unknown as Required<BlockSparseAttentionAttrs>;
      const fallback = (reason: string) =>
        referenceFallback(blockSparseAttentionGradKernel, 'webgpu', reason, inputs, attrs);
      const shape = blockSparseShape(inputs, a);
      const { out, dOut, logSumExp } = inputs;
      const rows = shape && [shape.batch, shape.heads, shape.qLen];
      const float = (t: tf.TensorInfo | undefined, s: number[]) =>
        t !== undefined &&
        t.dtype === 'float32' &&
        t.shape.length === s.length &&
        t.shape.every((x, i) => x === s[i]);
      if (
        shape === undefined ||
        rows === undefined ||
        !float(out, [...rows, shape.valueDim]) ||
        !float(dOut, [...rows, shape.valueDim]) ||
        !float(logSumExp, rows)
      ) {
        return fallback('inputs the kernel does not take (the reference validates them)');
      }
      if (
        keyTileSize(shape.headDim, shape.valueDim) === 0 ||
        queryTileSize(shape.headDim, shape.valueDim) === 0
      ) {
        return fallback('headDim + valueDim exceeds 4094');
      }
      const qProgram = new BlockSparseAttentionGradQProgram(shape);
      const kvProgram = new BlockSparseAttentionGradKVProgram(shape);
      if ([...qProgram.dispatch, ...kvProgram.dispatch].some((g) => g > MAX_WORKGROUPS_PER_DIMENSION)) {
        return fallback('more workgroups than one dispatch allows');
      }
      const gpu = backend as WebGPUBackendLike;
      const statsShape = { rows: shape.batch * shape.heads * shape.qLen, valueDim: shape.valueDim };
      const stats = gpu.runWebGPUProgram(
        new AttentionRowStatsProgram(statsShape),
        [out!, dOut!, logSumExp!],
        'float32',
        AttentionRowStatsProgram.uniformValues(statsShape),
      );
      // One int32 buffer for the five block-list tensors, as the forward (8 storage buffers per stage).
      const lists = tf.tidy(() =>
        tf.concat(BLOCK_LIST_NAMES.map((name) => tf.reshape(inputs[name] as tf.Tensor, [-1]))),
      );
      try {
        const operands = [inputs.q!, inputs.k!, inputs.v!, dOut!, stats, lists, inputs.partialMasks!];
        const dq = gpu.runWebGPUProgram(
          qProgram,
          operands,
          'float32',
          BlockSparseAttentionGradQProgram.uniformValues(shape, a.scale),
        );
        const packed = gpu.runWebGPUProgram(
          kvProgram,
          operands,
          'float32',
          BlockSparseAttentionGradKVProgram.uniformValues(shape, a.scale),
        );
        const [dk, dv] = splitPackedOutput(gpu, packed, FusedAttentionGradKVProgram.packedParts(shape));
        return [dq, dk!, dv!];
      } finally {
        lists.dispose();
        gpu.disposeData(stats.dataId);
      }
    },
});
