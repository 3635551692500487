import { assertKnownOptions, assertNumber, type MaskMod } from '@efficient-attention/core';
import { BitSlab } from './bit-slab.js';
import { bitsFromSlab } from './bits-from-slab.js';
import { BlockBitWriter } from './block-bit-writer.js';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL, type KeyBlockGrid } from './block-enumerator.js';
import { BlockMask } from './block-mask.js';
import { IntList } from './int-list.js';
import { assertMaskMod, checkMaskLengths, describeMask, enumeratorOf } from './mask-pattern.js';

/** Options of {@link createBlockMask}. */
export interface CreateBlockMaskOptions {
  /** Side of the square blocks (an integer ≥ 1). Default 128, as FlexAttention. */
  blockSize?: number;
  /** Batch size, used only when the mask depends on the batch index (else the mask broadcasts). Default 1. */
  batch?: number;
  /** Number of query heads, used only when the mask depends on the head (else it broadcasts). Default 1. */
  heads?: number;
}

const FN = 'createBlockMask';

/**
 * Compiles a mask predicate into a {@link BlockMask}: for each `[batch | 1, head | 1]` plane and block of
 * `blockSize` queries, the key blocks to visit, split into full blocks (every in-range pair allowed) and
 * partial blocks (with a bitmask), exactly — a block's class always follows from its pairs.
 *
 * Patterns of this package carry a block enumerator, so the build costs O(visited blocks + partial-block
 * bits), milliseconds at N = 16384. Enumerators with `writeBits` (random, fixed) write each query block's
 * bits in place through a `BlockBitWriter`, whose bit counts settle every candidate block; others fill a
 * `BitSlab` per run of candidate blocks and copy the blocks out of it. An arbitrary `MaskMod` falls back to
 * evaluating the predicate on every pair (O(qLen · kvLen) calls per plane). A mask that declares `batchInvariant` / `headInvariant` is built
 * once and broadcast; otherwise one plane per batch element / head (`batch`, `heads`).
 *
 * FlexAttention's `create_block_mask` (Dong et al. 2024): https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const mask = createBlockMask(andMasks(causal(), slidingWindow({ before: 256 })), 4096, 4096, {
 *   blockSize: 128,
 * });
 * mask.sparsity(); // ≈ 0.92
 * const out = blockSparseAttention(q, k, v, mask);
 * ```
 */
export function createBlockMask(
  maskMod: MaskMod,
  qLen: number,
  kvLen: number,
  options: CreateBlockMaskOptions = {},
): BlockMask {
  assertMaskMod(FN, 'maskMod', maskMod);
  assertNumber(FN, 'qLen', qLen, { integer: true, min: 1 });
  assertNumber(FN, 'kvLen', kvLen, { integer: true, min: 1 });
  assertKnownOptions(FN, options, ['blockSize', 'batch', 'heads']);
  const bs = options.blockSize ?? 128;
  const batch = options.batch ?? 1;
  const heads = options.heads ?? 1;
  assertNumber(FN, 'options.blockSize', bs, { integer: true, positive: true });
  assertNumber(FN, 'options.batch', batch, { integer: true, min: 1 });
  assertNumber(FN, 'options.heads', heads, { integer: true, min: 1 });
  checkMaskLengths(FN, maskMod, qLen, kvLen);

  const bm = maskMod.batchInvariant ? 1 : batch;
  const hm = maskMod.headInvariant ? 1 : heads;
  const qBlocks = Math.ceil(qLen / bs);
  const kvBlocks = Math.ceil(kvLen / bs);
  const words = Math.ceil(bs / 32);
  const blockWords = bs * words;
  const enumerator = enumeratorOf(maskMod);
  const rowsTotal = bm * hm * qBlocks;

  // Pass 1: block states of every row (sound, maybe loose), and an upper bound on the partial blocks.
  const grid: KeyBlockGrid = { start: 0, end: kvLen, size: bs, count: kvBlocks };
  const states = new Uint8Array(rowsTotal * kvBlocks);
  let candidates = 0;
  for (let b = 0, row = 0; b < bm; b++) {
    for (let h = 0; h < hm; h++) {
      for (let r = 0; r < qBlocks; r++, row++) {
        const rowStates = states.subarray(row * kvBlocks, (row + 1) * kvBlocks);
        enumerator.classify(b, h, r * bs, Math.min(qLen, (r + 1) * bs), grid, rowStates);
        for (let j = 0; j < kvBlocks; j++) if (rowStates[j] === BLOCK_PARTIAL) candidates++;
      }
    }
  }

  // Pass 2: bits of the candidate blocks; a candidate whose bits are all set is full, none set is skipped.
  const masks = new Int32Array(Math.max(1, candidates) * blockWords);
  let numPartialBlocks = 0;
  const kvNum = new Int32Array(rowsTotal);
  const fullNum = new Int32Array(rowsTotal);
  const offsets = new Int32Array(rowsTotal);
  const partialIdx = new IntList();
  const fullIdx = new IntList();
  const slab = enumerator.fillBits && !enumerator.writeBits ? new BitSlab(bs, kvLen) : undefined;

  /** Evaluates the predicate on the key block at `k0` into `masks` at `at`; returns its state. */
  const bitsFromPredicate = (
    b: number,
    h: number,
    at: number,
    q0: number,
    k0: number,
    rows: number,
    cols: number,
  ) => {
    let count = 0;
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < cols; c++) {
        if (maskMod(b, h, q0 + i, k0 + c)) {
          masks[at + i * words + (c >> 5)]! |= 1 << (c & 31);
          count++;
        }
      }
    }
    return count === 0 ? BLOCK_NONE : count === rows * cols ? BLOCK_FULL : BLOCK_PARTIAL;
  };

  // The direct path: the enumerator writes each query block's bits in place (BlockBitWriter), one call per
  // query block over the span of its candidate blocks; the per-block bit counts settle each candidate.
  const writer = enumerator.writeBits ? new BlockBitWriter(bs, kvBlocks) : undefined;
  const writeRow = (b: number, h: number, q0: number, rows: number, base: number) => {
    let first = -1;
    let last = -1;
    for (let j = 0; j < kvBlocks; j++) {
      if (states[base + j] !== BLOCK_PARTIAL) continue;
      if (first < 0) first = j;
      last = j;
    }
    if (first >= 0) {
      let n = 0;
      for (let j = first; j <= last; j++) if (states[base + j] === BLOCK_PARTIAL) n++;
      writer!.begin(q0, rows, first * bs, Math.min(kvLen, (last + 1) * bs), n);
      for (let j = first, t = 0; j <= last; j++) {
        if (states[base + j] === BLOCK_PARTIAL) writer!.offsets[j] = blockWords * t++;
      }
      enumerator.writeBits!(b, h, writer!);
    }
    // Keep the partial candidates in order, moving their staged masks down over the ones that came out full
    // or empty (rare: classify is usually tight), then copy the row's masks out in one piece.
    const stage = writer!.stage;
    const rowStart = numPartialBlocks;
    for (let j = 0; j < kvBlocks; j++) {
      const state = states[base + j]!;
      if (state === BLOCK_NONE) continue;
      if (state === BLOCK_FULL) {
        fullIdx.push(j);
        continue;
      }
      const count = writer!.counts[j]!;
      const cells = rows * Math.min(bs, kvLen - j * bs);
      if (count > 0 && count < cells) {
        const from = writer!.offsets[j]!;
        const to = (numPartialBlocks - rowStart) * blockWords;
        if (to !== from) stage.copyWithin(to, from, from + blockWords);
        partialIdx.push(j);
        numPartialBlocks++;
      } else if (count === cells) fullIdx.push(j);
    }
    if (numPartialBlocks > rowStart) {
      masks.set(stage.subarray(0, (numPartialBlocks - rowStart) * blockWords), rowStart * blockWords);
    }
  };

  for (let b = 0, row = 0; b < bm; b++) {
    for (let h = 0; h < hm; h++) {
      for (let r = 0; r < qBlocks; r++, row++) {
        const q0 = r * bs;
        const rows = Math.min(bs, qLen - q0);
        const base = row * kvBlocks;
        offsets[row] = numPartialBlocks;
        const fullStart = fullIdx.length;
        const partialStart = partialIdx.length;
        if (writer !== undefined) {
          writeRow(b, h, q0, rows, base);
          kvNum[row] = partialIdx.length - partialStart;
          fullNum[row] = fullIdx.length - fullStart;
          continue;
        }
        for (let j = 0; j < kvBlocks; j++) {
          const state = states[base + j]!;
          if (state === BLOCK_NONE) continue;
          if (state === BLOCK_FULL) {
            fullIdx.push(j);
            continue;
          }
          // A run of candidate blocks j … e − 1 shares one slab, as narrow as the run.
          let e = j + 1;
          while (e < kvBlocks && states[base + e] === BLOCK_PARTIAL) e++;
          if (slab !== undefined) {
            slab.reset(q0, rows, j * bs, Math.min(kvLen, e * bs) - j * bs);
            enumerator.fillBits!(b, h, slab);
          }
          for (let t = j; t < e; t++) {
            const k0 = t * bs;
            const cols = Math.min(bs, kvLen - k0);
            const at = numPartialBlocks * blockWords;
            const found =
              slab !== undefined
                ? bitsFromSlab(slab.words, slab.wordsPerRow, k0 - slab.kv0, masks, words, at, rows, cols)
                : bitsFromPredicate(b, h, at, q0, k0, rows, cols);
            if (found === BLOCK_PARTIAL) {
              partialIdx.push(t);
              numPartialBlocks++;
              continue;
            }
            masks.fill(0, at, at + blockWords);
            if (found === BLOCK_FULL) fullIdx.push(t);
          }
          j = e - 1;
        }
        kvNum[row] = partialIdx.length - partialStart;
        fullNum[row] = fullIdx.length - fullStart;
      }
    }
  }

  // Pad the per-row lists to the longest row (FlexAttention's layout; at least 1 wide: no empty tensors).
  const pad = (list: IntList, counts: Int32Array): { indices: Int32Array; width: number } => {
    let width = 1;
    for (const c of counts) width = Math.max(width, c);
    const indices = new Int32Array(rowsTotal * width);
    let at = 0;
    for (let i = 0; i < rowsTotal; i++) {
      indices.set(list.data.subarray(at, at + counts[i]!), i * width);
      at += counts[i]!;
    }
    return { indices, width };
  };
  const partial = pad(partialIdx, kvNum);
  const full = pad(fullIdx, fullNum);
  // Keep the buffer when the bound was tight; copy out when candidates turned out full or empty.
  const used = Math.max(1, numPartialBlocks) * blockWords;
  const partialMasks = used * 4 >= masks.length * 3 ? masks.subarray(0, used) : masks.slice(0, used);
  return new BlockMask({
    qLen,
    kvLen,
    blockSize: bs,
    batch: bm,
    heads: hm,
    kvNumBlocks: kvNum,
    kvIndices: partial.indices,
    maxKvBlocks: partial.width,
    fullKvNumBlocks: fullNum,
    fullKvIndices: full.indices,
    maxFullKvBlocks: full.width,
    partialMasks,
    partialMaskOffsets: offsets,
    numPartialBlocks,
    maskMod,
    description: describeMask(maskMod),
  });
}
