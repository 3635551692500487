import type { BitSink } from './bit-sink.js';
import type { BitSlab } from './bit-slab.js';

/**
 * Block states written by {@link BlockEnumerator.classify} (ordered, so AND is `min`, OR is `max` and NOT
 * is `BLOCK_FULL − state`). None: no pair of the block is allowed, the block is skipped.
 * FlexAttention's block classes: https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * states[j] = allAllowed ? BLOCK_FULL : anyAllowed ? BLOCK_PARTIAL : BLOCK_NONE;
 * ```
 */
export const BLOCK_NONE = 0;
/** Some pairs are allowed, or the enumerator cannot tell: the block gets a bitmask (see {@link BLOCK_NONE}). */
export const BLOCK_PARTIAL = 1;
/** Every pair of the block is allowed: no per-element check (see {@link BLOCK_NONE}). */
export const BLOCK_FULL = 2;

/**
 * The key axis of a row of blocks: block `j` holds keys `[start + j·size, min(end, start + (j + 1)·size))`,
 * for `j < count`, in the pattern's coordinates (`offsetMask` moves `start` and `end`).
 *
 * @example
 * ```ts
 * const grid: KeyBlockGrid = { start: 0, end: 1000, size: 128, count: 8 }; // the last block holds 104 keys
 * ```
 */
export interface KeyBlockGrid {
  readonly start: number;
  readonly end: number;
  readonly size: number;
  readonly count: number;
}

/**
 * A fast path that `createBlockMask` uses instead of evaluating a mask predicate on every (query, key) pair,
 * so building a block mask for N = 16384 takes milliseconds. Attach one to a pattern with `definePattern`.
 *
 * - `classify` writes, for the queries `[q0, q1)` of (b, h), the state of every key block of `grid` into
 *   `states[0 … grid.count)`: {@link BLOCK_NONE}, {@link BLOCK_PARTIAL} or {@link BLOCK_FULL}. It must be
 *   sound — NONE and FULL must be true — but need not be tight: PARTIAL is always a correct answer
 *   (`createBlockMask` then computes the block's bits and settles full/empty from them).
 * - `fillBits` (optional) marks in `slab` every allowed pair of the slab's queries and keys (the whole slab,
 *   not only partial blocks). Without it, partial blocks are filled by calling the predicate.
 * - `writeBits` (optional, preferred over `fillBits`) does the same through a {@link BitSink} — `set` and
 *   `setRange` only, no slab algebra — which lets `createBlockMask` write the bits straight into the block
 *   bitmasks (see `BlockBitWriter`): no slab to clear and copy. The sink may span key blocks whose bits are
 *   dropped; a pattern whose filler only uses `set`/`setRange` can pass the same function as both.
 *
 * FlexAttention: https://arxiv.org/abs/2412.05496 (its `create_block_mask` always sweeps the predicate).
 *
 * @example
 * ```ts
 * // The enumerator of `kv ≤ q`: a block is full when its last key precedes its first query.
 * const causalBlocks: BlockEnumerator = {
 *   classify: (_b, _h, q0, q1, grid, states) => classifyBand(q0, q1, grid, -Infinity, 0, states),
 *   fillBits: (_b, _h, slab) => {
 *     for (let q = slab.q0; q < slab.q1; q++) slab.setRange(q, slab.kv0, q + 1);
 *   },
 * };
 * ```
 */
export interface BlockEnumerator {
  classify(b: number, h: number, q0: number, q1: number, grid: KeyBlockGrid, states: Uint8Array): void;
  fillBits?(b: number, h: number, slab: BitSlab): void;
  writeBits?(b: number, h: number, sink: BitSink): void;
}

/**
 * Classifies every block of `grid` for the diagonal band `lo ≤ kv − q ≤ hi` (either bound may be infinite):
 * exact for a band, and the building block of window, causal and sink enumerators. Band masks:
 * Beltagy et al. 2020 (Longformer), https://arxiv.org/abs/2004.05150.
 *
 * @example
 * ```ts
 * const states = new Uint8Array(4);
 * classifyBand(0, 4, { start: 0, end: 16, size: 4, count: 4 }, -4, 4, states); // [2, 1, 0, 0]
 * ```
 */
export function classifyBand(
  q0: number,
  q1: number,
  grid: KeyBlockGrid,
  lo: number,
  hi: number,
  states: Uint8Array,
): void {
  for (let j = 0; j < grid.count; j++) {
    const k0 = grid.start + j * grid.size;
    const k1 = Math.min(grid.end, k0 + grid.size);
    const minDelta = k0 - (q1 - 1);
    const maxDelta = k1 - 1 - q0;
    if (maxDelta < lo || minDelta > hi) states[j] = BLOCK_NONE;
    else if (minDelta >= lo && maxDelta <= hi) states[j] = BLOCK_FULL;
    else states[j] = BLOCK_PARTIAL;
  }
}

/** Marks every block PARTIAL: the sound answer for a predicate without an enumerator. */
export const unknownBlocks: BlockEnumerator = Object.freeze({
  classify: (_b: number, _h: number, _q0: number, _q1: number, grid: KeyBlockGrid, states: Uint8Array) => {
    states.fill(BLOCK_PARTIAL, 0, grid.count);
  },
});
