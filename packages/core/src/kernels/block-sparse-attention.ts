import * as tf from '@tensorflow/tfjs-core';
import { applyScoreMod } from '../apply-score-mod.js';
import { allFinite, MASK_FILL, maskScores, matMulVisible, NonFiniteScoreRows } from '../attention-mask.js';
import { InvalidArgumentError } from '../errors.js';
import type { AttentionDims, ScoreMod } from '../types.js';
import { assertKnownOptions, assertNumber, attentionDims } from '../validation.js';
import { resolveAttentionScale } from './attention-attrs.js';
import {
  attentionGradReference,
  attentionLogSumExpReference,
  checkAttentionGradOperands,
} from './attention-grad-reference.js';
import { defineKernelContract } from './kernel-contract.js';

/**
 * Inputs of `EABlockSparseAttention`: the attention tensors plus a block mask compiled to data (never a
 * closure), in the layout of PyTorch FlexAttention's `BlockMask` with a bitmask per partial block.
 *
 * Notation: `bs` = `attrs.blockSize`; `Qb = ⌈qLen / bs⌉` query blocks; `KVb = ⌈kvLen / bs⌉` key blocks;
 * query block `r` holds queries `[r·bs, min(qLen, (r+1)·bs))`, key block `j` holds keys
 * `[j·bs, min(kvLen, (j+1)·bs))`. The mask dims `Bm` and `Hm` are either the batch / query-head count or 1
 * (the mask is then the same for every batch element / head: broadcast, as in FlexAttention).
 *
 * | input | dtype | shape | meaning |
 * | --- | --- | --- | --- |
 * | `q` | float32 | `[B, H, qLen, d]` | queries |
 * | `k` | float32 | `[B, Hkv, kvLen, d]` | keys (`Hkv` divides `H`: grouped-query attention) |
 * | `v` | float32 | `[B, Hkv, kvLen, dv]` | values |
 * | `kvNumBlocks` | int32 | `[Bm, Hm, Qb]` | number of **partial** key blocks of each query block |
 * | `kvIndices` | int32 | `[Bm, Hm, Qb, maxKv]` | their key-block indices, ascending; entries past `kvNumBlocks` are 0 |
 * | `fullKvNumBlocks` | int32 | `[Bm, Hm, Qb]` | number of **full** key blocks (every in-range pair allowed: no per-element check) |
 * | `fullKvIndices` | int32 | `[Bm, Hm, Qb, maxFullKv]` | their key-block indices, ascending; padding 0 |
 * | `partialMasks` | int32 | `[P, bs, ⌈bs/32⌉]` | one bitmask per partial block (P ≥ 1: an all-zero block when there is none) |
 * | `partialMaskOffsets` | int32 | `[Bm, Hm, Qb]` | index in `partialMasks` of the first partial block of each query block |
 *
 * Bitmask layout: the bitmask of the `s`-th partial block of query block `r` (key block
 * `kvIndices[bm, hm, r, s]`) is `partialMasks[partialMaskOffsets[bm, hm, r] + s]`, a `[bs, ⌈bs/32⌉]` grid
 * of 32-bit words: bit `c & 31` (least-significant bit first) of word `c >> 5` in row `i` is 1 when query
 * `r·bs + i` may attend key `j·bs + c`. Bits of rows ≥ qLen or keys ≥ kvLen are 0. Words are stored as
 * int32 (reinterpret as u32 in WGSL/GLSL). `maxKv` and `maxFullKv` are at least 1 so no tensor is empty.
 * Key blocks listed in neither list are skipped entirely.
 */
export interface BlockSparseAttentionInputs extends Record<string, tf.Tensor> {
  q: tf.Tensor;
  k: tf.Tensor;
  v: tf.Tensor;
  kvNumBlocks: tf.Tensor;
  kvIndices: tf.Tensor;
  fullKvNumBlocks: tf.Tensor;
  fullKvIndices: tf.Tensor;
  partialMasks: tf.Tensor;
  partialMaskOffsets: tf.Tensor;
}

/** Attributes of `EABlockSparseAttention`. */
export interface BlockSparseAttentionAttrs {
  /** Side of the square query/key blocks the mask was compiled with. */
  blockSize: number;
  /** Query length the mask was compiled for (must equal `q.shape[2]`). */
  qLen: number;
  /** Key length the mask was compiled for (must equal `k.shape[2]`). */
  kvLen: number;
  /** Multiplier of q·k: a finite number > 0. Default `1 / √headDim`. */
  scale?: number;
}

/** {@link BlockSparseAttentionAttrs} after {@link resolveBlockSparseAttentionAttrs}: every field present. */
type ResolvedAttrs = Required<BlockSparseAttentionAttrs>;

/** Options of {@link blockSparseAttentionReference} that cannot cross a kernel boundary. */
export interface BlockSparseReferenceOptions {
  /** A score modifier (a closure: it always runs on this reference path). */
  scoreMod?: ScoreMod;
  /**
   * Keys per online-softmax step. A query block whose visited key blocks hold more keys is processed in
   * steps of at most this many keys, merged with an online softmax, bounding the scores held at once to
   * `blockSize × keysPerStep`. Default 4096.
   */
  keysPerStep?: number;
}

const FN = 'blockSparseAttention';
const DEFAULT_KEYS_PER_STEP = 4096;

/** The compiled mask read back to the CPU (it is small: O(number of visited blocks)). */
interface MaskLayout {
  bm: number;
  hm: number;
  qBlocks: number;
  kvBlocks: number;
  maxKv: number;
  maxFull: number;
  wordsPerRow: number;
  numMasks: number;
  kvNum: Int32Array;
  kvIdx: Int32Array;
  fullNum: Int32Array;
  fullIdx: Int32Array;
  offsets: Int32Array;
  bits: Int32Array;
}

function expectInt32(name: string, t: tf.Tensor, shape: number[], what: string): void {
  if (!(t instanceof tf.Tensor)) throw new InvalidArgumentError(FN, name, 'an int32 tensor', t);
  if (t.dtype !== 'int32') throw new InvalidArgumentError(FN, `${name}.dtype`, '"int32"', t.dtype);
  const ok = t.rank === shape.length && shape.every((s, i) => s < 0 || t.shape[i] === s);
  if (!ok) throw new InvalidArgumentError(FN, `${name}.shape`, `${what}`, t.shape);
}

function readLayout(
  inputs: BlockSparseAttentionInputs,
  attrs: ResolvedAttrs,
  dims: AttentionDims,
): MaskLayout {
  const bs = attrs.blockSize;
  const qBlocks = Math.ceil(dims.qLen / bs);
  const kvBlocks = Math.ceil(dims.kvLen / bs);
  const wordsPerRow = Math.ceil(bs / 32);
  const num = inputs.kvNumBlocks;
  if (!(num instanceof tf.Tensor) || num.rank !== 3) {
    throw new InvalidArgumentError(FN, 'kvNumBlocks', 'an int32 tensor [Bm, Hm, qBlocks]', num);
  }
  const [bm, hm] = num.shape as [number, number, number];
  if (bm !== 1 && bm !== dims.batch) {
    throw new InvalidArgumentError(FN, 'kvNumBlocks.shape[0] (mask batch)', `1 or ${dims.batch}`, bm);
  }
  if (hm !== 1 && hm !== dims.heads) {
    throw new InvalidArgumentError(FN, 'kvNumBlocks.shape[1] (mask heads)', `1 or ${dims.heads}`, hm);
  }
  const rowShape = [bm, hm, qBlocks];
  const rowWhat = `[${rowShape.join(', ')}] ([Bm, Hm, ⌈qLen / blockSize⌉])`;
  expectInt32('kvNumBlocks', num, rowShape, rowWhat);
  expectInt32('fullKvNumBlocks', inputs.fullKvNumBlocks, rowShape, rowWhat);
  expectInt32('partialMaskOffsets', inputs.partialMaskOffsets, rowShape, rowWhat);
  expectInt32('kvIndices', inputs.kvIndices, [...rowShape, -1], `[${rowShape.join(', ')}, maxKv]`);
  expectInt32(
    'fullKvIndices',
    inputs.fullKvIndices,
    [...rowShape, -1],
    `[${rowShape.join(', ')}, maxFullKv]`,
  );
  expectInt32(
    'partialMasks',
    inputs.partialMasks,
    [-1, bs, wordsPerRow],
    `[P, ${bs}, ${wordsPerRow}] ([P, blockSize, ⌈blockSize / 32⌉])`,
  );
  return {
    bm,
    hm,
    qBlocks,
    kvBlocks,
    maxKv: inputs.kvIndices.shape[3]!,
    maxFull: inputs.fullKvIndices.shape[3]!,
    wordsPerRow,
    numMasks: inputs.partialMasks.shape[0]!,
    kvNum: inputs.kvNumBlocks.dataSync() as Int32Array,
    kvIdx: inputs.kvIndices.dataSync() as Int32Array,
    fullNum: inputs.fullKvNumBlocks.dataSync() as Int32Array,
    fullIdx: inputs.fullKvIndices.dataSync() as Int32Array,
    offsets: inputs.partialMaskOffsets.dataSync() as Int32Array,
    bits: inputs.partialMasks.dataSync() as Int32Array,
  };
}

/** One online-softmax step of a query block: the key blocks it gathers and their additive bias. */
interface RowStep {
  blocks: Int32Array;
  /** `[rows, blocks.length · bs]`: 0 where allowed, {@link MASK_FILL} where masked; absent when all allowed. */
  bias?: Float32Array;
  biasTensor?: tf.Tensor2D;
}

/** Everything a query block needs, derived from the mask data once per call and shared across heads. */
interface RowPlan {
  rows: number;
  steps: RowStep[];
  /** 1 where a query row keeps at least one key; absent when every row does. */
  rowValid?: Float32Array;
  rowValidTensor?: tf.Tensor2D;
}

/** The block lists of a compiled mask read back to the CPU (row `ρ = plane · Qb + r`, as in the inputs' table). */
export interface BlockListsData {
  /** `kvNumBlocks`, `[rows]`. */
  readonly kvNum: Int32Array;
  /** `kvIndices`, `[rows, maxKv]`. */
  readonly kvIdx: Int32Array;
  /** `fullKvNumBlocks`, `[rows]`. */
  readonly fullNum: Int32Array;
  /** `fullKvIndices`, `[rows, maxFullKv]`. */
  readonly fullIdx: Int32Array;
  /** `partialMaskOffsets`, `[rows]`. */
  readonly offsets: Int32Array;
}

/** The sizes {@link mergeBlockLists} checks the lists against. */
export interface BlockListsLayout {
  /** Query blocks per mask plane (`Qb`); rows = planes · Qb. */
  readonly qBlocks: number;
  /** Mask planes (`Bm · Hm`). */
  readonly planes: number;
  /** Key blocks (`KVb`): every listed block is in `[0, KVb)`. */
  readonly kvBlocks: number;
  /** Row width of `kvIndices` and of `fullKvIndices`. */
  readonly maxKv: number;
  readonly maxFull: number;
  /** Partial bitmasks (`P`): every partial block's mask index is in `[0, P)`. */
  readonly numMasks: number;
}

/** Merged block lists in CSR form: row ρ's entries are `starts[ρ] … starts[ρ + 1] − 1`. */
export interface MergedBlockLists {
  /** `[rows + 1]` entry offsets. */
  readonly starts: Int32Array;
  /** `[entries, 2]`: (key block, partial-mask index, or −1 for a full block), key blocks ascending per row. */
  readonly pairs: Int32Array;
}

/**
 * Merges each row's partial and full key-block lists (both ascending) into one ascending list of
 * (block, partial-mask index or −1) pairs, checking what every implementation relies on: counts within the
 * list widths, distinct in-range block indices ascending in each list, mask indices within the bitmasks.
 * The one merge of `EABlockSparseAttention`'s lists: the reference plans its steps from it and the wasm
 * kernel hands it to the kernel module. O(rows + visited blocks).
 *
 * @example
 * ```ts
 * const { starts, pairs } = mergeBlockLists('myKernel', lists, { qBlocks, planes: bm * hm, kvBlocks, maxKv, maxFull, numMasks });
 * for (let e = starts[row]; e < starts[row + 1]; e++) visit(pairs[2 * e], pairs[2 * e + 1]);
 * ```
 */
export function mergeBlockLists(
  fn: string,
  lists: BlockListsData,
  layout: BlockListsLayout,
): MergedBlockLists {
  const { qBlocks, maxKv, maxFull, kvBlocks, numMasks } = layout;
  const rows = layout.planes * qBlocks;
  const where = (row: number) => `(query block ${row % qBlocks} of mask plane ${Math.floor(row / qBlocks)})`;
  const starts = new Int32Array(rows + 1);
  let total = 0;
  for (let row = 0; row < rows; row++) {
    const nPartial = lists.kvNum[row]!;
    const nFull = lists.fullNum[row]!;
    if (nPartial < 0 || nPartial > maxKv || nFull < 0 || nFull > maxFull) {
      throw new InvalidArgumentError(
        fn,
        'kvNumBlocks / fullKvNumBlocks',
        `counts within [0, maxKv = ${maxKv}] / [0, maxFullKv = ${maxFull}]`,
        [nPartial, nFull],
        where(row),
      );
    }
    total += nPartial + nFull;
    starts[row + 1] = total;
  }
  const pairs = new Int32Array(2 * total);
  for (let row = 0; row < rows; row++) {
    const nPartial = lists.kvNum[row]!;
    const nFull = lists.fullNum[row]!;
    const firstMask = lists.offsets[row]!;
    const first = starts[row]!;
    let e = first;
    let a = 0;
    let f = 0;
    while (a < nPartial || f < nFull) {
      const pa = a < nPartial ? lists.kvIdx[row * maxKv + a]! : Number.POSITIVE_INFINITY;
      const pf = f < nFull ? lists.fullIdx[row * maxFull + f]! : Number.POSITIVE_INFINITY;
      const partial = pa <= pf;
      pairs[2 * e] = partial ? pa : pf;
      pairs[2 * e + 1] = partial ? firstMask + a : -1;
      if (partial) a++;
      else f++;
      e++;
    }
    for (let i = first; i < e; i++) {
      const j = pairs[2 * i]!;
      if (!Number.isInteger(j) || j < 0 || j >= kvBlocks || (i > first && pairs[2 * (i - 1)]! >= j)) {
        const blocks = Array.from({ length: e - first }, (_, t) => pairs[2 * (first + t)]!);
        throw new InvalidArgumentError(
          fn,
          'kvIndices / fullKvIndices',
          `distinct key-block indices in [0, ${kvBlocks}), ascending in each list`,
          blocks,
          `${where(row)}: block ${j} at position ${i - first} of the merged list`,
        );
      }
      const m = pairs[2 * i + 1]!;
      if (m !== -1 && (m < 0 || m >= numMasks)) {
        throw new InvalidArgumentError(
          fn,
          'partialMaskOffsets',
          `offsets within [0, ${numMasks})`,
          m,
          where(row),
        );
      }
    }
  }
  return { starts, pairs };
}

function planRow(
  layout: MaskLayout,
  merged: MergedBlockLists,
  plane: number,
  r: number,
  attrs: ResolvedAttrs,
  keysPerStep: number,
): RowPlan {
  const bs = attrs.blockSize;
  const rows = Math.min(bs, attrs.qLen - r * bs);
  const row = plane * layout.qBlocks + r;
  // The row's key blocks, ascending; `maskOf[i]` is the partial-mask index of block i, or -1 when full.
  const blocks: number[] = [];
  const maskOf: number[] = [];
  for (let e = merged.starts[row]!; e < merged.starts[row + 1]!; e++) {
    blocks.push(merged.pairs[2 * e]!);
    maskOf.push(merged.pairs[2 * e + 1]!);
  }
  const blocksPerStep = Math.max(1, Math.floor(keysPerStep / bs));
  const words = layout.wordsPerRow;
  const rowAny = new Uint8Array(rows);
  const steps: RowStep[] = [];
  for (let s0 = 0; s0 < blocks.length; s0 += blocksPerStep) {
    const ids = blocks.slice(s0, s0 + blocksPerStep);
    const width = ids.length * bs;
    let bias: Float32Array | undefined;
    ids.forEach((j, t) => {
      const m = maskOf[s0 + t]!;
      const inRange = Math.min(bs, attrs.kvLen - j * bs);
      if (m === -1 && inRange === bs) {
        rowAny.fill(1);
        return;
      }
      bias ??= new Float32Array(rows * width);
      for (let i = 0; i < rows; i++) {
        const base = i * width + t * bs;
        for (let c = 0; c < bs; c++) {
          const allowed =
            c < inRange &&
            (m === -1 || ((layout.bits[(m * bs + i) * words + (c >> 5)]! >>> (c & 31)) & 1) === 1);
          if (allowed) rowAny[i] = 1;
          else bias[base + c] = MASK_FILL;
        }
      }
    });
    steps.push({ blocks: Int32Array.from(ids), ...(bias ? { bias } : {}) });
  }
  const plan: RowPlan = { rows, steps };
  if (blocks.length > 0 && rowAny.some((x) => x === 0)) plan.rowValid = Float32Array.from(rowAny);
  return plan;
}

/**
 * Gathers whole slices `x[indices[i]]` along axis 0 with `gatherND`, which copies contiguous slices (on wasm,
 * `gather` and `slice` cost time proportional to the source tensor). tfjs has no gradient for `GatherNd`, so
 * while a gradient tape records, the gradient is given here: the slices' gradients scattered back with
 * `scatterND`.
 */
function gatherSlices(x: tf.Tensor, indices: ArrayLike<number>): tf.Tensor {
  const shape = x.shape;
  const n = indices.length;
  const index = () => tf.tensor2d(Int32Array.from(indices), [n, 1], 'int32');
  if (!tf.engine().isTapeOn()) {
    // No gradient is being recorded: skip the custom-gradient wrapper (it costs as much as the gather).
    const idx = index();
    const value = tf.gatherND(x, idx);
    idx.dispose();
    return value;
  }
  const gather = (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const idx = index();
    const value = tf.gatherND(input, idx);
    idx.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const i = index();
        const g = tf.scatterND(i, dy, shape);
        i.dispose();
        return g;
      },
    };
  };
  return tf.customGrad(gather)(x);
}

/** Pads the sequence axis of `[B, Hx, n, d]` to `nb · bs`; returns a function giving (batch, head) `p` as `[nb, bs, d]`. */
function blockPlanes(x: tf.Tensor, bs: number): (plane: number) => tf.Tensor {
  const [b, hx, n, d] = x.shape as [number, number, number, number];
  const nb = Math.ceil(n / bs);
  const padded = nb * bs - n;
  const xp =
    padded > 0
      ? tf.pad(x, [
          [0, 0],
          [0, 0],
          [0, padded],
          [0, 0],
        ])
      : x;
  const flat = tf.reshape(xp, [b * hx, nb, bs, d]);
  return (plane) =>
    b * hx === 1 ? tf.reshape(flat, [nb, bs, d]) : tf.reshape(gatherSlices(flat, [plane]), [nb, bs, d]);
}

/** Applies a score modifier to the `[rows, n·bs]` scores of gathered key blocks, run by contiguous run. */
function modifyScores(
  scoreModifier: ScoreMod,
  s: tf.Tensor,
  blocks: Int32Array,
  attrs: ResolvedAttrs,
  b: number,
  h: number,
  q0: number,
): tf.Tensor {
  const bs = attrs.blockSize;
  const rows = s.shape[0]!;
  // Pieces of columns: each contiguous run of key blocks, its in-range part modified, its padding kept.
  const pieces: Array<{ width: number; kvStart: number | undefined }> = [];
  let i = 0;
  while (i < blocks.length) {
    let e = i + 1;
    while (e < blocks.length && blocks[e] === blocks[e - 1]! + 1) e++;
    const kvStart = blocks[i]! * bs;
    const width = (e - i) * bs;
    const valid = Math.min(width, attrs.kvLen - kvStart);
    pieces.push({ width: valid, kvStart });
    if (valid < width) pieces.push({ width: width - valid, kvStart: undefined });
    i = e;
  }
  const parts =
    pieces.length === 1
      ? [s]
      : tf.split(
          s,
          pieces.map((p) => p.width),
          1,
        );
  const modified = parts.map((part, t) => {
    const { width, kvStart } = pieces[t]!;
    if (kvStart === undefined) return part;
    const block = { batchStart: b, headStart: h, qStart: q0, kvStart, qLen: attrs.qLen, kvLen: attrs.kvLen };
    const out = applyScoreMod(FN, scoreModifier, tf.reshape(part, [1, 1, rows, width]), block);
    return tf.reshape(out, [rows, width]);
  });
  // A score modifier may return −∞; keep the softmax finite (masking belongs in the block mask).
  return tf.maximum(modified.length === 1 ? modified[0]! : tf.concat(modified, 1), -3e38);
}

/**
 * The reference of `EABlockSparseAttention`, built from tfjs ops: for each (batch, head) and query block it
 * gathers the listed key/value blocks (one `gatherND` each), computes `[bs, keys]` scores with one 2-D
 * `matMul` (the XNNPACK path on wasm), adds the partial blocks' mask bias, and normalises with a softmax —
 * an online softmax across steps when a query block visits more than `keysPerStep` keys. Work and forward
 * memory are O(visited blocks · bs² · d), not O(N²). Rows with no allowed key give zeros.
 *
 * Gradients flow to q, k, v and a score modifier's tensor form (autodiff). The backward pass scatters each
 * query block's key/value gradients into a full-length buffer: O(N² · d / blockSize) time.
 *
 * Paper: Child et al. 2019, block-sparse attention (https://arxiv.org/abs/1904.10509); layout from
 * FlexAttention (Dong et al. 2024, https://arxiv.org/abs/2412.05496).
 *
 * @example
 * ```ts
 * // A block mask from `@efficient-attention/sparse-masks` gives the compiled tensors:
 * const out = tf.tidy(() =>
 *   blockSparseAttentionReference({ q, k, v, ...blockMask.toTensors() },
 *     { blockSize: 64, qLen: 1024, kvLen: 1024, scale: 1 / 8 }),
 * );
 * ```
 */
export function blockSparseAttentionReference(
  inputs: BlockSparseAttentionInputs,
  givenAttrs: BlockSparseAttentionAttrs,
  options: BlockSparseReferenceOptions = {},
): tf.Tensor4D {
  const { q, k, v } = inputs;
  const dims = attentionDims(FN, q, k, v);
  const attrs = resolveBlockSparseAttentionAttrs(inputs, givenAttrs);
  const keysPerStep = options.keysPerStep ?? DEFAULT_KEYS_PER_STEP;
  assertNumber(FN, 'options.keysPerStep', keysPerStep, { integer: true, min: 1 });
  const layout = readLayout(inputs, attrs, dims);
  const merged = mergeBlockLists(FN, layout, {
    qBlocks: layout.qBlocks,
    planes: layout.bm * layout.hm,
    kvBlocks: layout.kvBlocks,
    maxKv: layout.maxKv,
    maxFull: layout.maxFull,
    numMasks: layout.numMasks,
  });
  const bs = attrs.blockSize;
  const vFinite = allFinite(v);
  const qkFinite = allFinite(q) && allFinite(k);
  /** Output rows `[rows, dv]` of query block `r` for (b, h). */
  function attendQueryBlock(
    plan: RowPlan,
    qp: tf.Tensor,
    kp: tf.Tensor,
    vp: tf.Tensor,
    r: number,
    b: number,
    h: number,
  ): tf.Tensor {
    if (plan.steps.length === 0) return tf.zeros([plan.rows, dims.valueDim]);
    // ±∞ in q or k: the reference's rows across all steps (see NonFiniteScoreRows).
    const rows = qkFinite ? undefined : new NonFiniteScoreRows();
    let qRow = tf.reshape(gatherSlices(qp, [r]), [bs, dims.headDim]);
    if (plan.rows < bs) qRow = tf.slice(qRow, [0, 0], [plan.rows, dims.headDim]);
    const stepScores = (step: RowStep) => {
      const n = step.blocks.length * bs;
      const kRows = tf.reshape(gatherSlices(kp, step.blocks), [n, dims.headDim]);
      // A 2-D matMul without transpose flags: the XNNPACK path on wasm.
      let s = tf.matMul(qRow, tf.transpose(kRows));
      if (options.scoreMod !== undefined) {
        s = modifyScores(options.scoreMod, s, step.blocks, attrs, b, h, r * bs);
      }
      // NaN rule: masked keys are selected away (NaN + bias would stay NaN), and their values kept out of
      // p·v when v holds NaN or ±∞ (see matMulVisible).
      const visible = step.biasTensor ? tf.equal(step.biasTensor, 0) : undefined;
      if (rows !== undefined) s = rows.observe(s, visible);
      s = maskScores(s, visible);
      const vRows = tf.reshape(gatherSlices(vp, step.blocks), [n, dims.valueDim]);
      return { s, vRows, visible };
    };
    let out: tf.Tensor;
    if (plan.steps.length === 1) {
      const { s, vRows, visible } = stepScores(plan.steps[0]!);
      const p = tf.softmax(s);
      // Rows without an allowed key: zero weights, so the output is +0 (no NaN, no −0).
      out = matMulVisible(plan.rowValidTensor ? tf.mul(p, plan.rowValidTensor) : p, vRows, visible, vFinite);
    } else {
      let m: tf.Tensor | undefined;
      let l: tf.Tensor | undefined;
      let acc: tf.Tensor | undefined;
      for (const step of plan.steps) {
        const { s, vRows, visible } = stepScores(step);
        const sMax = tf.max(s, 1, true);
        const mNew = m === undefined ? sMax : tf.maximum(m, sMax);
        let p = tf.exp(tf.sub(s, mNew));
        if (plan.rowValidTensor) p = tf.mul(p, plan.rowValidTensor);
        const pv = matMulVisible(p, vRows, visible, vFinite);
        if (m === undefined || l === undefined || acc === undefined) {
          l = tf.sum(p, 1, true);
          acc = pv;
        } else {
          const correction = tf.exp(tf.sub(m, mNew));
          l = tf.add(tf.mul(l, correction), tf.sum(p, 1, true));
          acc = tf.add(tf.mul(acc, correction), pv);
        }
        m = mNew;
      }
      // Valid rows have l ≥ 1 (the row maximum contributes exp(0)); rows without a key have l = acc = 0 and
      // divide by 1 instead (a floor like max(l, ε) would put 0/ε² = NaN into the gradient).
      out = tf.div(acc!, plan.rowValidTensor ? tf.add(l!, tf.sub(1, plan.rowValidTensor)) : l!);
    }
    return rows === undefined ? out : rows.poison(out);
  }

  return tf.tidy(() => {
    const qPlanes = blockPlanes(q, bs);
    const kPlanes = blockPlanes(k, bs);
    const vPlanes = blockPlanes(v, bs);
    // Plans (and their bias tensors) live in this outer scope: heads sharing a mask plane reuse them.
    const plans: RowPlan[] = [];
    for (let plane = 0; plane < layout.bm * layout.hm; plane++) {
      for (let r = 0; r < layout.qBlocks; r++) {
        const plan = planRow(layout, merged, plane, r, attrs, keysPerStep);
        for (const step of plan.steps) {
          if (step.bias) step.biasTensor = tf.tensor2d(step.bias, [plan.rows, step.blocks.length * bs]);
          step.bias = undefined;
        }
        if (plan.rowValid) plan.rowValidTensor = tf.tensor2d(plan.rowValid, [plan.rows, 1]);
        plans.push(plan);
      }
    }
    const group = dims.heads / dims.kvHeads;
    const heads: tf.Tensor[] = [];
    for (let b = 0; b < dims.batch; b++) {
      for (let kh = 0; kh < dims.kvHeads; kh++) {
        // One kv head and its query group at a time: the per-head copies never all live at once.
        const groupOut = tf.tidy(() => {
          // Scale the keys, not the queries: one multiply per kv head and no full-size scaled copy of q.
          const kp = tf.mul(kPlanes(b * dims.kvHeads + kh), attrs.scale);
          const vp = vPlanes(b * dims.kvHeads + kh);
          const outs: tf.Tensor[] = [];
          for (let h = kh * group; h < (kh + 1) * group; h++) {
            const plane = (layout.bm === 1 ? 0 : b) * layout.hm + (layout.hm === 1 ? 0 : h);
            const qp = qPlanes(b * dims.heads + h);
            const rowsOut: tf.Tensor[] = [];
            for (let r = 0; r < layout.qBlocks; r++) {
              const plan = plans[plane * layout.qBlocks + r]!;
              rowsOut.push(tf.tidy(() => attendQueryBlock(plan, qp, kp, vp, r, b, h)));
            }
            outs.push(rowsOut.length === 1 ? rowsOut[0]! : tf.concat(rowsOut, 0));
          }
          return outs;
        });
        heads.push(...groupOut);
      }
    }
    const all = heads.length === 1 ? heads[0]! : tf.stack(heads);
    return tf.reshape(all, [dims.batch, dims.heads, dims.qLen, dims.valueDim]) as tf.Tensor4D;
  });
}

/**
 * The attribute rule of `EABlockSparseAttention`, applied by {@link blockSparseAttentionKernel}'s `run` (and
 * by {@link blockSparseAttentionReference}) before any path runs, so every backend's kernel receives
 * resolved attributes: q, k, v checked by `attentionDims`; `blockSize` an integer ≥ 1; `qLen` / `kvLen`
 * equal to q's / k's length; `scale` absent → 1/√headDim, else a finite number > 0; no other keys. Errors
 * are `InvalidArgumentError`s naming `attrs.<name>`.
 *
 * @example
 * ```ts
 * resolveBlockSparseAttentionAttrs(inputs, { blockSize: 64, qLen: 1024, kvLen: 1024 }); // scale 1/√d
 * ```
 */
export function resolveBlockSparseAttentionAttrs(
  inputs: BlockSparseAttentionInputs,
  attrs: BlockSparseAttentionAttrs,
): Required<BlockSparseAttentionAttrs> {
  const dims = attentionDims(FN, inputs?.q, inputs?.k, inputs?.v);
  assertKnownOptions(FN, attrs, ['blockSize', 'qLen', 'kvLen', 'scale'], 'attrs');
  if (attrs === undefined) {
    throw new InvalidArgumentError(FN, 'attrs', 'an object { blockSize, qLen, kvLen, scale? }', attrs);
  }
  assertNumber(FN, 'attrs.blockSize', attrs.blockSize, { integer: true, min: 1 });
  if (attrs.qLen !== dims.qLen) {
    throw new InvalidArgumentError(FN, 'attrs.qLen', `q's length ${dims.qLen}`, attrs.qLen);
  }
  if (attrs.kvLen !== dims.kvLen) {
    throw new InvalidArgumentError(FN, 'attrs.kvLen', `k's length ${dims.kvLen}`, attrs.kvLen);
  }
  return {
    blockSize: attrs.blockSize,
    qLen: attrs.qLen,
    kvLen: attrs.kvLen,
    scale: resolveAttentionScale(FN, dims, attrs.scale),
  };
}

/**
 * The element mask the block lists describe, boolean `[Bm, Hm, qLen, kvLen]` (true: the key is visible) —
 * full blocks, partial blocks through their bitmask, keys past `kvLen` cut. O(N²) memory: for the gradient
 * reference and tests, never the fast path.
 *
 * @example
 * ```ts
 * const visible = blockListsVisibleMask({ q, k, v, ...blockMask.toTensors() }, attrs); // [1, 1, N, N] bool
 * ```
 */
export function blockListsVisibleMask(
  inputs: BlockSparseAttentionInputs,
  givenAttrs: BlockSparseAttentionAttrs,
): tf.Tensor {
  const dims = attentionDims(FN, inputs.q, inputs.k, inputs.v);
  const attrs = resolveBlockSparseAttentionAttrs(inputs, givenAttrs);
  const layout = readLayout(inputs, attrs, dims);
  const planes = layout.bm * layout.hm;
  const merged = mergeBlockLists(FN, layout, {
    qBlocks: layout.qBlocks,
    planes,
    kvBlocks: layout.kvBlocks,
    maxKv: layout.maxKv,
    maxFull: layout.maxFull,
    numMasks: layout.numMasks,
  });
  const bs = attrs.blockSize;
  const { qLen, kvLen } = dims;
  const words = layout.wordsPerRow;
  const mask = new Uint8Array(planes * qLen * kvLen);
  for (let plane = 0; plane < planes; plane++) {
    for (let r = 0; r < layout.qBlocks; r++) {
      const row = plane * layout.qBlocks + r;
      for (let e = merged.starts[row]!; e < merged.starts[row + 1]!; e++) {
        const j = merged.pairs[2 * e]!;
        const m = merged.pairs[2 * e + 1]!;
        for (let i = 0; i < bs && r * bs + i < qLen; i++) {
          const base = (plane * qLen + r * bs + i) * kvLen + j * bs;
          for (let c = 0; c < bs && j * bs + c < kvLen; c++) {
            const bit = m === -1 || ((layout.bits[(m * bs + i) * words + (c >> 5)]! >>> (c & 31)) & 1) === 1;
            if (bit) mask[base + c] = 1;
          }
        }
      }
    }
  }
  return tf.tensor4d(mask, [layout.bm, layout.hm, qLen, kvLen], 'bool');
}

/** Inputs of the block-sparse backward kernel: the forward's, its output and row log-sum-exp, and dOut. */
export interface BlockSparseAttentionGradInputs extends BlockSparseAttentionInputs {
  /** The forward output `[batch, heads, qLen, valueDim]`. */
  out: tf.Tensor;
  /** The gradient of the loss with respect to `out`. */
  dOut: tf.Tensor;
  /** Float32 `[batch, heads, qLen]`: each row's natural log-sum-exp of its visible scaled scores (−∞: none). */
  logSumExp: tf.Tensor;
}

const GRAD_NAME = 'EABlockSparseAttentionGrad';

/**
 * `EABlockSparseAttentionGrad`: the backward of {@link blockSparseAttentionKernel} — FlashAttention-2's
 * backward restricted to the listed blocks (kernels skip the same empty blocks as the forward). Returns
 * `[dq, dk, dv]` shaped like q, k, v; rows with no visible key give zero gradients. Attributes: the
 * forward's, resolved. Reference: {@link attentionGradReference} over {@link blockListsVisibleMask} (tfjs ops,
 * N² memory).
 *
 * @example
 * ```ts
 * const [dq, dk, dv] = blockSparseAttentionGradKernel.runOutputs(
 *   { q, k, v, ...blockMask.toTensors(), out, dOut, logSumExp }, attrs);
 * ```
 */
export const blockSparseAttentionGradKernel = defineKernelContract<
  BlockSparseAttentionGradInputs,
  BlockSparseAttentionAttrs,
  tf.Tensor[]
>({
  name: GRAD_NAME,
  inputNames: [
    'q',
    'k',
    'v',
    'out',
    'dOut',
    'logSumExp',
    'kvNumBlocks',
    'kvIndices',
    'fullKvNumBlocks',
    'fullKvIndices',
    'partialMasks',
    'partialMaskOffsets',
  ],
  resolveAttrs: (inputs, attrs) => {
    const resolved = resolveBlockSparseAttentionAttrs(inputs, attrs);
    checkAttentionGradOperands(GRAD_NAME, inputs, attentionDims(GRAD_NAME, inputs.q, inputs.k, inputs.v));
    return resolved;
  },
  reference: (inputs, attrs) =>
    tf.tidy(() =>
      attentionGradReference(inputs, {
        dims: attentionDims(GRAD_NAME, inputs.q, inputs.k, inputs.v),
        scale: attrs.scale!,
        causal: false,
        visible: blockListsVisibleMask(inputs, attrs),
      }),
    ),
});

const BLOCK_LIST_NAMES = [
  'kvNumBlocks',
  'kvIndices',
  'fullKvNumBlocks',
  'fullKvIndices',
  'partialMasks',
  'partialMaskOffsets',
] as const;

/**
 * `EABlockSparseAttention`: attention that visits only the key blocks a compiled block mask lists (full
 * blocks without a per-element check, partial blocks through their bitmask) — see
 * {@link BlockSparseAttentionInputs} for the data layout backends implement. Reference:
 * {@link blockSparseAttentionReference} (a score modifier, being a closure, always runs there). Layout:
 * FlexAttention's BlockMask (https://arxiv.org/abs/2412.05496) plus one bitmask per partial block.
 *
 * @example
 * ```ts
 * // A backend implements it once…
 * tf.registerKernel({ kernelName: blockSparseAttentionKernel.name, backendName: 'webgpu', kernelFunc });
 * // …and callers (sparse-masks' blockSparseAttention) dispatch through the contract:
 * const out = blockSparseAttentionKernel.run({ q, k, v, ...blockMask.toTensors() },
 *   { blockSize: 64, qLen: 4096, kvLen: 4096, scale: 0.125 });
 * ```
 */
export const blockSparseAttentionKernel = defineKernelContract<
  BlockSparseAttentionInputs,
  BlockSparseAttentionAttrs
>({
  name: 'EABlockSparseAttention',
  inputNames: [
    'q',
    'k',
    'v',
    'kvNumBlocks',
    'kvIndices',
    'fullKvNumBlocks',
    'fullKvIndices',
    'partialMasks',
    'partialMaskOffsets',
  ],
  resolveAttrs: resolveBlockSparseAttentionAttrs,
  reference: (inputs, attrs) => blockSparseAttentionReference(inputs, attrs),
  gradient: {
    inputsToSave: ['q', 'k', 'v', ...BLOCK_LIST_NAMES],
    outputsToSave: [true, true],
    gradFunc: (dy, saved, attrs) => {
      const [q, k, v, ...rest] = saved as tf.Tensor[];
      const lists = Object.fromEntries(BLOCK_LIST_NAMES.map((name, i) => [name, rest[i]!])) as Record<
        (typeof BLOCK_LIST_NAMES)[number],
        tf.Tensor
      >;
      const [out, savedLse] = rest.slice(BLOCK_LIST_NAMES.length) as [tf.Tensor, tf.Tensor?];
      const dOut = Array.isArray(dy) ? dy[0]! : dy;
      const inputs = { q: q!, k: k!, v: v!, ...lists };
      const logSumExp =
        savedLse ??
        tf.tidy(() =>
          attentionLogSumExpReference(q!, k!, {
            dims: attentionDims(FN, q, k, v),
            scale: (attrs as Required<BlockSparseAttentionAttrs>).scale,
            causal: false,
            visible: blockListsVisibleMask(inputs, attrs as BlockSparseAttentionAttrs),
          }),
        );
      const [dq, dk, dv] = blockSparseAttentionGradKernel.runOutputs(
        { ...inputs, out: out!, dOut, logSumExp },
        attrs as BlockSparseAttentionAttrs,
      );
      // The block lists are integer data: no gradient flows to them.
      const none = (t: tf.Tensor) => () => tf.zeros(t.shape, 'float32');
      return {
        q: () => dq!,
        k: () => dk!,
        v: () => dv!,
        ...Object.fromEntries(BLOCK_LIST_NAMES.map((name) => [name, none(lists[name])])),
      };
    },
  },
});
