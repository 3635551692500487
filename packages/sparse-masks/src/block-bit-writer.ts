import type { BitSink } from './bit-sink.js';
import { popcount32 } from './bit-slab.js';

/**
 * A {@link BitSink} over one row of key blocks that writes each allowed pair straight into the bitmask of
 * its key block, laid out as in a block mask's `partialMasks` (`[blocks, blockSize, ⌈blockSize/32⌉]` words,
 * the layout of core's `EABlockSparseAttention`), and counts the newly set bits of every block.
 *
 * Why: the slab path fills a `rows × kvLen` bitmap, then copies every candidate block out of it word by
 * word and scans the copy for its state. Here the bits land in their final layout, and the counts settle
 * each block's state exactly (0 bits: empty, `rows · cols` bits: full) without reading the bits back. The
 * row's blocks are staged in a small reused buffer (`stage`, cache-resident) and copied to the block mask in
 * one `set` (a memcpy): scattered read-modify-writes straight into a freshly allocated 32 MB buffer cost two
 * page faults per page (the read maps the zero page, the write copies it), measured slower than the copy.
 *
 * Blocks the writer is not told to write (`offsets[j] < 0`: full, empty, or outside the span) silently
 * drop their bits, so fillers may ignore block boundaries.
 *
 * @example
 * ```ts
 * const writer = new BlockBitWriter(4, 2); // blocks of 4, two key blocks
 * writer.begin(0, 4, 0, 8, 2); // queries 0…3, keys 0…7, room for two blocks
 * writer.offsets[0] = 0; // key block 0 → staged block 0
 * writer.offsets[1] = 4; // key block 1 → staged block 1 (word offset)
 * writer.setRange(1, 2, 6); // query 1: keys 2…5, across both blocks
 * writer.counts[0]; // 2
 * ```
 */
export class BlockBitWriter implements BitSink {
  q0 = 0;
  kv0 = 0;
  /** Rows in use (queries `[q0, q0 + rows)`). */
  rows = 0;
  /** One past the last key of the span. */
  kv1 = 0;
  /** Word offset in `masks` of the bitmask of each key block, or −1: its bits are dropped. */
  readonly offsets: Int32Array;
  /** Bits newly set in each key block since {@link BlockBitWriter.begin}. */
  readonly counts: Int32Array;
  /** The staged bitmasks of the current row, `offsets[j]` words into it. */
  stage: Int32Array = new Int32Array(0);
  private readonly words: number;
  /** log2(blockSize) when it is a power of two (block of a key by a shift), else −1 (by a division). */
  private readonly shift: number;

  constructor(
    /** Side of the blocks. */
    readonly blockSize: number,
    /** Number of key blocks of a row. */
    readonly numKvBlocks: number,
  ) {
    this.words = Math.ceil(blockSize / 32);
    this.shift = (blockSize & (blockSize - 1)) === 0 ? Math.log2(blockSize) : -1;
    this.offsets = new Int32Array(numKvBlocks).fill(-1);
    this.counts = new Int32Array(numKvBlocks);
  }

  /** One past the last query. */
  get q1(): number {
    return this.q0 + this.rows;
  }

  /**
   * Starts a row of blocks: queries `[q0, q0 + rows)`, keys `[kv0, kv1)` (kv0 ≥ 0 at a block boundary), with
   * a cleared stage of `blocks` bitmasks; clears the counts and offsets of the span's blocks. Set
   * `offsets[j]` of the blocks to write after this.
   */
  begin(q0: number, rows: number, kv0: number, kv1: number, blocks: number): void {
    const size = blocks * this.blockSize * this.words;
    if (this.stage.length < size) this.stage = new Int32Array(Math.max(size, 2 * this.stage.length));
    else this.stage.fill(0, 0, size);
    this.q0 = q0;
    this.rows = rows;
    this.kv0 = kv0;
    this.kv1 = kv1;
    const first = Math.floor(kv0 / this.blockSize);
    const end = Math.ceil(kv1 / this.blockSize);
    this.offsets.fill(-1, first, end);
    this.counts.fill(0, first, end);
  }

  set(q: number, kv: number): void {
    const r = q - this.q0;
    if (r < 0 || r >= this.rows || kv < this.kv0 || kv >= this.kv1) return;
    const j = this.shift >= 0 ? kv >> this.shift : (kv / this.blockSize) | 0;
    const base = this.offsets[j]!;
    if (base < 0) return;
    const c = kv - j * this.blockSize;
    const at = base + r * this.words + (c >> 5);
    const bit = 1 << (c & 31);
    const stage = this.stage;
    const word = stage[at]!;
    if ((word & bit) === 0) {
      stage[at] = word | bit;
      this.counts[j]!++;
    }
  }

  setRange(q: number, lo: number, hi: number): void {
    const r = q - this.q0;
    if (r < 0 || r >= this.rows) return;
    let a = Math.max(lo, this.kv0);
    const b = Math.min(hi, this.kv1);
    const bs = this.blockSize;
    for (let j = (a / bs) | 0; a < b; j++) {
      const k0 = j * bs;
      const end = Math.min(b, k0 + bs);
      const base = this.offsets[j]!;
      if (base >= 0) this.fillRow(j, base + r * this.words, a - k0, end - k0);
      a = end;
    }
  }

  /** Why: one call per row instead of one per key for strided keys, with the block found once per block. */
  setEvery(q: number, first: number, step: number, hi: number): void {
    const r = q - this.q0;
    if (r < 0 || r >= this.rows) return;
    let kv = first;
    if (kv < this.kv0) kv += Math.ceil((this.kv0 - kv) / step) * step;
    const end = Math.min(hi, this.kv1);
    const bs = this.blockSize;
    const rowAt = r * this.words;
    const stage = this.stage;
    while (kv < end) {
      const j = (kv / bs) | 0;
      const k0 = j * bs;
      const blockEnd = Math.min(end, k0 + bs);
      const base = this.offsets[j]!;
      if (base < 0) {
        kv += Math.ceil((blockEnd - kv) / step) * step;
        continue;
      }
      let added = 0;
      for (; kv < blockEnd; kv += step) {
        const c = kv - k0;
        const at = base + rowAt + (c >> 5);
        const bit = 1 << (c & 31);
        const word = stage[at]!;
        if ((word & bit) === 0) {
          stage[at] = word | bit;
          added++;
        }
      }
      this.counts[j]! += added;
    }
  }

  /**
   * Why a rectangle: many rows of a block often share the same keys (the summary columns of `fixed`); the
   * bits of one row are computed once per word and OR-ed into every row, with no call per row.
   */
  setRows(qa: number, qb: number, lo: number, hi: number): void {
    const ra = Math.max(qa - this.q0, 0);
    const rb = Math.min(qb - this.q0, this.rows);
    if (ra >= rb) return;
    let a = Math.max(lo, this.kv0);
    const b = Math.min(hi, this.kv1);
    const bs = this.blockSize;
    const masks = this.stage;
    const words = this.words;
    for (let j = (a / bs) | 0; a < b; j++) {
      const k0 = j * bs;
      const end = Math.min(b, k0 + bs);
      const base = this.offsets[j]!;
      if (base >= 0) {
        const ca = a - k0;
        const cb = end - k0;
        const wa = ca >> 5;
        const wb = (cb - 1) >> 5;
        let added = 0;
        for (let w = wa; w <= wb; w++) {
          const from = w === wa ? ca & 31 : 0;
          const to = w === wb ? ((cb - 1) & 31) + 1 : 32;
          const bits = (to === 32 ? -1 : (1 << to) - 1) & (-1 << from);
          for (let r = ra, at = base + ra * words + w; r < rb; r++, at += words) {
            const old = masks[at]!;
            const fresh = bits & ~old;
            if (fresh !== 0) {
              masks[at] = old | bits;
              added += fresh === bits ? to - from : popcount32(fresh);
            }
          }
        }
        this.counts[j]! += added;
      }
      a = end;
    }
  }

  /** Sets columns `[ca, cb)` of the block row whose first word is at `row`, counting new bits of block `j`. */
  private fillRow(j: number, row: number, ca: number, cb: number): void {
    const masks = this.stage;
    const wa = ca >> 5;
    const wb = (cb - 1) >> 5;
    let added = 0;
    for (let w = wa; w <= wb; w++) {
      const from = w === wa ? ca & 31 : 0;
      const to = w === wb ? ((cb - 1) & 31) + 1 : 32;
      const bits = (to === 32 ? -1 : (1 << to) - 1) & (-1 << from);
      const old = masks[row + w]!;
      const fresh = bits & ~old;
      if (fresh !== 0) {
        masks[row + w] = old | bits;
        added += popcount32(fresh);
      }
    }
    this.counts[j]! += added;
  }
}
