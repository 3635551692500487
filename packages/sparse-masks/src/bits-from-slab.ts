import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL } from './block-enumerator.js';

/**
 * Copies the bits of one key block — slab columns `[offset, offset + cols)` of `rows` rows — into `dst` at
 * `at` (`words` words per row) and returns the block's state: NONE (no bit), FULL (every in-range bit) or
 * PARTIAL. A module-level function over plain arrays: this loop dominates building masks with many partial
 * blocks through a slab (block enumerators without `writeBits`).
 *
 * @example
 * ```ts
 * const state = bitsFromSlab(slab.words, slab.wordsPerRow, 128, masks, 4, 0, 128, 128); // key block 1
 * ```
 */
export function bitsFromSlab(
  src: Int32Array,
  srcWordsPerRow: number,
  offset: number,
  dst: Int32Array,
  words: number,
  at: number,
  rows: number,
  cols: number,
): number {
  let any = 0;
  let all = -1;
  const first = offset >> 5;
  const shift = offset & 31;
  const used = (cols + 31) >> 5;
  const rest = cols & 31;
  if (shift === 0 && rest === 0) {
    // Word-aligned block (block size a multiple of 32): a straight copy.
    for (let i = 0; i < rows; i++) {
      let from = i * srcWordsPerRow + first;
      let to = at + i * words;
      const end = from + used;
      while (from < end) {
        const value = src[from++]!;
        dst[to++] = value;
        any |= value;
        all &= value;
      }
    }
    return any === 0 ? BLOCK_NONE : all === -1 ? BLOCK_FULL : BLOCK_PARTIAL;
  }
  const tail = rest === 0 ? -1 : (1 << rest) - 1;
  for (let i = 0; i < rows; i++) {
    const base = i * srcWordsPerRow + first;
    const out = at + i * words;
    for (let w = 0; w < used; w++) {
      let value = src[base + w]!;
      if (shift !== 0) {
        value >>>= shift;
        if (first + w + 1 < srcWordsPerRow) value |= src[base + w + 1]! << (32 - shift);
      }
      const valid = w === used - 1 ? tail : -1;
      value &= valid;
      dst[out + w] = value;
      any |= value;
      all &= value | ~valid;
    }
  }
  return any === 0 ? BLOCK_NONE : all === -1 ? BLOCK_FULL : BLOCK_PARTIAL;
}
