import { InvalidArgumentError, type MergedBlockLists, mergeBlockLists } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { readInput } from '../../runtime/wasm/wasm-runtime.js';

/** The block-list inputs of `EABlockSparseAttention` and of its gradient kernel. */
export type BlockListInputs = Record<
  'kvNumBlocks' | 'kvIndices' | 'fullKvNumBlocks' | 'fullKvIndices' | 'partialMasks' | 'partialMaskOffsets',
  tf.TensorInfo
>;

/** The block lists of one call, read back, checked and merged (core's `mergeBlockLists`). */
export interface ReadBlockLists {
  /** Mask batch and heads (`Bm`, `Hm`: 1 or the batch / query heads). */
  bm: number;
  hm: number;
  qBlocks: number;
  kvBlocks: number;
  /** `⌈blockSize / 32⌉`. */
  words: number;
  /** Per mask row (plane · Qb + query block): its key blocks, ascending, with their partial-mask index or −1. */
  merged: MergedBlockLists;
  /** The bitmasks `[P, bs, words]` (a copy, safe across allocations on the backend's heap). */
  masks: Int32Array;
}

function expectShape(fn: string, name: string, t: tf.TensorInfo | undefined, shape: number[]): tf.TensorInfo {
  const ok =
    t !== undefined &&
    t.dtype === 'int32' &&
    t.shape.length === shape.length &&
    shape.every((s, i) => s < 0 || t.shape[i] === s);
  if (!ok)
    throw new InvalidArgumentError(
      fn,
      name,
      `an int32 tensor [${shape.map((s) => (s < 0 ? '·' : s)).join(', ')}]`,
      t?.shape,
    );
  return t;
}

/**
 * Checks the block-list inputs of a block-sparse kernel against the attention shapes (as the forward's wasm
 * kernel does: `InvalidArgumentError`s naming the input), reads them and merges each row's partial and
 * full lists.
 */
export function readBlockLists(
  fn: string,
  backend: tf.KernelBackend,
  lists: BlockListInputs,
  dims: { batch: number; heads: number; qLen: number; kvLen: number },
  bs: number,
): ReadBlockLists {
  const qBlocks = Math.ceil(dims.qLen / bs);
  const kvBlocks = Math.ceil(dims.kvLen / bs);
  const words = Math.ceil(bs / 32);
  const num = lists.kvNumBlocks;
  if (num?.shape.length !== 3)
    throw new InvalidArgumentError(fn, 'kvNumBlocks', 'an int32 tensor [Bm, Hm, qBlocks]', num?.shape);
  const [bm, hm] = num.shape as [number, number, number];
  if (bm !== 1 && bm !== dims.batch)
    throw new InvalidArgumentError(fn, 'kvNumBlocks.shape[0] (mask batch)', `1 or ${dims.batch}`, bm);
  if (hm !== 1 && hm !== dims.heads)
    throw new InvalidArgumentError(fn, 'kvNumBlocks.shape[1] (mask heads)', `1 or ${dims.heads}`, hm);
  const rowShape = [bm, hm, qBlocks];
  expectShape(fn, 'kvNumBlocks', num, rowShape);
  expectShape(fn, 'fullKvNumBlocks', lists.fullKvNumBlocks, rowShape);
  expectShape(fn, 'partialMaskOffsets', lists.partialMaskOffsets, rowShape);
  const kvIdx = expectShape(fn, 'kvIndices', lists.kvIndices, [...rowShape, -1]);
  const fullIdx = expectShape(fn, 'fullKvIndices', lists.fullKvIndices, [...rowShape, -1]);
  const masks = expectShape(fn, 'partialMasks', lists.partialMasks, [-1, bs, words]);
  const read = (t: tf.TensorInfo) => readInput(backend, t) as Int32Array;
  const merged = mergeBlockLists(
    fn,
    {
      kvNum: read(num),
      kvIdx: read(kvIdx),
      fullNum: read(lists.fullKvNumBlocks),
      fullIdx: read(fullIdx),
      offsets: read(lists.partialMaskOffsets),
    },
    {
      qBlocks,
      planes: bm * hm,
      kvBlocks,
      maxKv: kvIdx.shape[3]!,
      maxFull: fullIdx.shape[3]!,
      numMasks: masks.shape[0]!,
    },
  );
  return {
    bm,
    hm,
    qBlocks,
    kvBlocks,
    words,
    merged,
    masks: read(masks).slice(0, masks.shape[0]! * bs * words),
  };
}

/**
 * The merged block lists turned around: per mask plane and key block (row `plane · kvBlocks + j`), the query
 * blocks whose lists hold key block j, ascending, as (query block, partial-mask index or −1) pairs in the
 * same CSR form. What the backward's work items (one key block each) walk. O(rows + entries).
 *
 * @example
 * ```ts
 * const byKey = transposeBlockLists(merged, planes, qBlocks, kvBlocks);
 * for (let e = byKey.starts[row]; e < byKey.starts[row + 1]; e++) visit(byKey.pairs[2 * e], byKey.pairs[2 * e + 1]);
 * ```
 */
export function transposeBlockLists(
  merged: MergedBlockLists,
  planes: number,
  qBlocks: number,
  kvBlocks: number,
): MergedBlockLists {
  const { starts, pairs } = merged;
  const counts = new Int32Array(planes * kvBlocks + 1);
  for (let row = 0; row < planes * qBlocks; row++) {
    const plane = Math.floor(row / qBlocks);
    for (let e = starts[row]!; e < starts[row + 1]!; e++) counts[plane * kvBlocks + pairs[2 * e]! + 1]!++;
  }
  for (let i = 1; i < counts.length; i++) counts[i]! += counts[i - 1]!;
  const tStarts = counts.slice();
  const fill = counts.subarray(0, planes * kvBlocks).slice();
  const tPairs = new Int32Array(pairs.length);
  // Rows in ascending order: each key block's query blocks come out ascending.
  for (let row = 0; row < planes * qBlocks; row++) {
    const plane = Math.floor(row / qBlocks);
    const r = row - plane * qBlocks;
    for (let e = starts[row]!; e < starts[row + 1]!; e++) {
      const at = fill[plane * kvBlocks + pairs[2 * e]!]!++;
      tPairs[2 * at] = r;
      tPairs[2 * at + 1] = pairs[2 * e + 1]!;
    }
  }
  return { starts: tStarts, pairs: tPairs };
}

/**
 * The backward's work items (one key block of one kv head: id `kvPlane · kvBlocks + j`), costliest first —
 * cost = the (query block, key block) pairs the item visits over its query heads — so that a key block every
 * query block lists (a global token) starts early instead of finishing last on one thread.
 */
export function backwardWorkOrder(
  byKey: MergedBlockLists,
  shape: { batch: number; heads: number; group: number; kvBlocks: number; bm: number; hm: number },
): Int32Array {
  const { batch, heads, group, kvBlocks, bm, hm } = shape;
  const kvHeads = heads / group;
  const items = batch * kvHeads * kvBlocks;
  const cost = new Float64Array(items);
  for (let id = 0; id < items; id++) {
    const kvPlane = Math.floor(id / kvBlocks);
    const j = id - kvPlane * kvBlocks;
    const b = Math.floor(kvPlane / kvHeads);
    const kh = kvPlane - b * kvHeads;
    for (let h = kh * group; h < (kh + 1) * group; h++) {
      const row = ((bm === 1 ? 0 : b) * hm + (hm === 1 ? 0 : h)) * kvBlocks + j;
      cost[id]! += byKey.starts[row + 1]! - byKey.starts[row]!;
    }
  }
  return Int32Array.from({ length: items }, (_, i) => i).sort((a, b) => cost[b]! - cost[a]! || a - b);
}
