import { type BlockSparseAttentionAttrs, blockSparseAttentionKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { splitPackedOutput } from '../../runtime/webgpu/packed-output.js';
import {
  keyTileSize,
  MAX_WORKGROUPS_PER_DIMENSION,
  rowRegistersWGSL,
  vectorWidth,
  type WebGPUBackendLike,
  type WebGPUProgramSpec,
  wgslVector,
} from '../../runtime/webgpu/webgpu-program.js';
import {
  attentionForwardParts,
  nanRuleRowLogSumExpWGSL,
  nanRuleRowScaleWGSL,
  nanRuleSoftmaxTileWGSL,
} from '../fused-attention/webgpu.js';
import { type BlockSparseAttentionShape, blockSparseShape, referenceFallback } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/** Query rows per workgroup of {@link BlockSparseAttentionProgram}. */
export const BLOCK_SPARSE_ROW_TILE = 64;

/** The block-list tensors packed into the `Lists` input, in this order (after them, `partialMasks`). */
export const BLOCK_LIST_NAMES = [
  'kvNumBlocks',
  'kvIndices',
  'fullKvNumBlocks',
  'fullKvIndices',
  'partialMaskOffsets',
] as const;

/**
 * Start of each block-list tensor after `kvNumBlocks` in the packed `Lists` input: `kvIndices`,
 * `fullKvNumBlocks`, `fullKvIndices`, `partialMaskOffsets` (the order of {@link BLOCK_LIST_NAMES}).
 */
export function blockListSections(shape: BlockSparseAttentionShape): number[] {
  const rows = shape.maskBatch * shape.maskHeads * Math.ceil(shape.qLen / shape.blockSize);
  const kvIdxAt = rows;
  const fullNumAt = kvIdxAt + rows * shape.maxKv;
  const fullIdxAt = fullNumAt + rows;
  const offsetsAt = fullIdxAt + rows * shape.maxFullKv;
  return [kvIdxAt, fullNumAt, fullIdxAt, offsetsAt];
}

/**
 * WGSL block-sparse flash attention over a compiled block mask (the `EABlockSparseAttention` layout of
 * core: FlexAttention's BlockMask, Dong et al. 2024, https://arxiv.org/abs/2412.05496, plus a bitmask per
 * partial block). One workgroup per (batch·head, query block, chunk of {@link BLOCK_SPARSE_ROW_TILE} rows);
 * it walks the query block's full key blocks (no per-element check) and partial key blocks (one bit per
 * (query, key) pair from `partialMasks`) and nothing else, so time is proportional to the visited blocks.
 * Keys are staged in workgroup memory tile by tile; each invocation keeps its row's online-softmax state
 * (Milakov & Gimelshein 2018, https://arxiv.org/abs/1805.02867) in registers. Rows with no allowed key
 * give zeros, like the reference; NaN and ±∞ follow core's NaN rule (masked keys are never read into a row).
 * Each row also writes its log-sum-exp, which the backward reads.
 *
 * Inputs: `Q, K, V`, `Lists` (the block lists flattened and concatenated, sections at
 * {@link blockListSections}) and `PMasks` (`partialMasks`). The kernel trusts the mask's
 * contents (indices in range: what `createBlockMask` builds); shapes are checked by the caller. Output, packed
 * in one flat buffer: `[B, H, N, dv]`, then the log-sum-exp of each row (`attentionForwardParts`).
 *
 * @example
 * ```ts
 * const program = new BlockSparseAttentionProgram(shape);
 * backend.runWebGPUProgram(program, [q, k, v, ...maskTensors], 'float32',
 *   BlockSparseAttentionProgram.uniformValues(shape, scale));
 * ```
 */
export class BlockSparseAttentionProgram implements WebGPUProgramSpec {
  /**
   * `Lists`: the five int32 block-list tensors flattened and concatenated (WebGPU guarantees only 8 storage
   * buffers per stage: nine inputs plus the output do not fit); `PMasks`: `partialMasks` as it is.
   */
  readonly variableNames = ['Q', 'K', 'V', 'Lists', 'PMasks'];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [2, 3], y: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [BLOCK_SPARSE_ROW_TILE, 1, 1];
  readonly uniforms =
    'scale : f32, qLen : i32, kvLen : i32, heads : i32, kvHeads : i32, maskBatch : i32, maskHeads : i32, qBlocks : i32, maxKv : i32, maxFullKv : i32, kvIdxAt : i32, fullNumAt : i32, fullIdxAt : i32, offsetsAt : i32, lseAt : i32,';
  private readonly d: number;
  private readonly dv: number;
  private readonly bs: number;
  private readonly tk: number;
  readonly w: 1 | 4;
  readonly outputComponent: number;
  readonly variableComponents: number[];
  private readonly chunks: number;

  constructor(shape: BlockSparseAttentionShape) {
    this.d = shape.headDim;
    this.dv = shape.valueDim;
    this.bs = shape.blockSize;
    this.tk = keyTileSize(shape.headDim, shape.valueDim);
    this.w = vectorWidth(shape.headDim, shape.valueDim);
    this.outputComponent = this.w;
    this.variableComponents = [this.w, this.w, this.w, 1, 1];
    this.chunks = Math.ceil(shape.blockSize / BLOCK_SPARSE_ROW_TILE);
    const qBlocks = Math.ceil(shape.qLen / shape.blockSize);
    this.outputShape = [shape.batch * shape.heads * shape.qLen * (shape.valueDim + this.w)];
    this.dispatch = [qBlocks * this.chunks, shape.batch * shape.heads, 1];
    this.shaderKey = `eaBlockSparseAttention_${this.d}_${this.dv}_${this.bs}_${this.tk}_${this.w}`;
  }

  /** The uniform values, in the order of {@link BlockSparseAttentionProgram.uniforms}. */
  static uniformValues(shape: BlockSparseAttentionShape, scale: number) {
    const int = (x: number) => ({ type: 'int32' as const, data: [x] });
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
      int(
        (shape.batch * shape.heads * shape.qLen * shape.valueDim) /
          vectorWidth(shape.headDim, shape.valueDim),
      ),
    ];
  }

  getUserCode(): string {
    const { d, dv, bs, tk, chunks, w } = this;
    const T = wgslVector(w).type;
    const dw = d / w;
    const vw = dv / w;
    const regs = rowRegistersWGSL(w, dw, vw);
    const tq = BLOCK_SPARSE_ROW_TILE;
    const words = Math.ceil(bs / 32);
    return `
      var<workgroup> kTile : array<${T}, ${tk * dw}>;
      var<workgroup> vTile : array<${T}, ${tk * vw}>;
      ${regs.moduleScope}
      var<workgroup> sharedCount : vec2<i32>;
      var<workgroup> sharedBlock : vec2<i32>;

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
        let plane = select(b, 0, uniforms.maskBatch == 1) * uniforms.maskHeads
          + select(h, 0, uniforms.maskHeads == 1);
        let maskRow = plane * uniforms.qBlocks + r;
        // tfjs keeps workgroupId in a private variable: values derived from it reach WGSL's uniformity
        // analysis (loop bounds around barriers) through workgroupUniformLoad.
        if (lid == 0) { sharedCount = vec2<i32>(Lists[uniforms.fullNumAt + maskRow], Lists[uniforms.fullNumAt + maskRow] + Lists[maskRow]); }
        let counts = workgroupUniformLoad(&sharedCount);
        let nFull = counts.x;
        let nVisited = counts.y;

        ${regs.declare}
        var rowMax = -3.0e38;
        var rowSum = 0.0;
        var rowBad = false;
        var rowSeen = false;
        if (valid) {
          let qBase = (bh * n + row) * ${dw};
          ${regs.loadQuery('qBase')}
        }

        for (var v = 0; v < nVisited; v++) {
          let full = v < nFull;
          if (lid == 0) {
            if (full) {
              sharedBlock = vec2<i32>(Lists[uniforms.fullIdxAt + maskRow * uniforms.maxFullKv + v], 0);
            } else {
              sharedBlock = vec2<i32>(Lists[uniforms.kvIdxAt + maskRow * uniforms.maxKv + v - nFull],
                Lists[uniforms.offsetsAt + maskRow] + v - nFull);
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
            let count = min(kEnd - k0, ${tk});
            var s : array<f32, ${tk}>;
            var allowed = 0u;
            if (valid) {
              for (var j = 0; j < count; j++) {
                var ok = full;
                if (!full) {
                  let c = k0 - kStart + j;
                  let word = u32(PMasks[(maskIndex * ${bs} + i) * ${words} + (c >> 5)]);
                  ok = ((word >> u32(c & 31)) & 1u) == 1u;
                }
                if (ok) {
                                    let kBase = j * ${dw};
                  let score = ${regs.score('kBase')};
                  s[j] = score;
                  allowed = allowed | (1u << u32(j));
                }
              }
            }
            ${nanRuleSoftmaxTileWGSL(regs, vw, true)}
            workgroupBarrier();
          }
        }

        if (valid) {
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
 * The `webgpu` kernel of core's `EABlockSparseAttention`: runs {@link BlockSparseAttentionProgram}, which
 * visits only the key blocks the compiled mask lists (FlexAttention's BlockMask layout,
 * https://arxiv.org/abs/2412.05496). Inputs the kernel does not take (wrong shapes or attributes, whose
 * error the reference raises; d + dv > 4095; too many workgroups) run core's reference with a one-time
 * warning. Returns `[out, logSumExp]` (the log-sum-exp of each row over its visible keys, −∞ for a row
 * that sees none), which the registered gradient saves for `EABlockSparseAttentionGrad`.
 *
 * @example
 * ```ts
 * registerWebGPUKernels(); // registers blockSparseAttentionWebGPU with the rest
 * const out = blockSparseAttentionKernel.run({ q, k, v, ...blockMask.toTensors() },
 *   { blockSize: 64, qLen: 4096, kvLen: 4096, scale: 0.125 });
 * ```
 */
export const blockSparseAttentionWebGPU = defineKernelImplementation({
  contract: blockSparseAttentionKernel,
  backend: 'webgpu',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const a = (attrs ?? {}) as unknown as Required<BlockSparseAttentionAttrs>;
      const fallback = (reason: string) =>
        referenceFallback(blockSparseAttentionKernel, 'webgpu', reason, inputs, attrs);
      const shape = blockSparseShape(inputs, a);
      if (shape === undefined)
        return fallback('inputs the kernel does not take (the reference validates them)');
      if (keyTileSize(shape.headDim, shape.valueDim) === 0)
        return fallback('headDim + valueDim exceeds 4095');
      const program = new BlockSparseAttentionProgram(shape);
      if (
        program.dispatch[0] > MAX_WORKGROUPS_PER_DIMENSION ||
        program.dispatch[1] > MAX_WORKGROUPS_PER_DIMENSION
      ) {
        return fallback('more workgroups than one dispatch allows');
      }
      // One int32 buffer for the five block-list tensors (small: O(query blocks · visited blocks)); WebGPU
      // guarantees only 8 storage buffers per shader stage. The bitmasks stay apart: tfjs-webgpu's concat
      // passes int32 through f32 and would round words above 2^24.
      const lists = tf.tidy(() =>
        tf.concat(BLOCK_LIST_NAMES.map((name) => tf.reshape(inputs[name] as tf.Tensor, [-1]))),
      );
      try {
        const gpu = backend as WebGPUBackendLike;
        const packed = gpu.runWebGPUProgram(
          program,
          [inputs.q!, inputs.k!, inputs.v!, lists, inputs.partialMasks!],
          'float32',
          BlockSparseAttentionProgram.uniformValues(shape, a.scale),
        );
        return splitPackedOutput(gpu, packed, attentionForwardParts({ ...shape, w: program.w }));
      } finally {
        lists.dispose();
      }
    },
});
