import type { BitSink } from './bit-sink.js';

/**
 * A bitmap of the allowed (query, key) pairs of one row of blocks — queries `[q0, q0 + rows)` against keys
 * `[kv0, kv0 + cols)` — that block enumerators fill in O(allowed pairs) instead of calling a predicate per
 * pair. Row `i` holds `wordsPerRow` 32-bit words; bit `c & 31` of word `c >> 5` stands for key `kv0 + c`.
 *
 * Coordinates passed to {@link BitSlab.set} and {@link BitSlab.setRange} are pattern coordinates: the
 * frame `(q0, kv0)` is moved by {@link BitSlab.shift} when a pattern is evaluated at an offset
 * (`offsetMask`), and anything outside the slab is ignored, so fillers never need to clip. The bits become
 * the per-partial-block bitmasks of FlexAttention-style block masks (https://arxiv.org/abs/2412.05496).
 *
 * @example
 * ```ts
 * const slab = new BitSlab(4, 64);
 * slab.reset(0, 4, 0, 64);
 * slab.setRange(2, 10, 20); // query 2 may attend keys 10…19
 * slab.has(2, 15); // true
 * ```
 */
export class BitSlab implements BitSink {
  /** Number of key columns in use. */
  cols = 0;
  /** 32-bit words per query row (for the columns in use). */
  wordsPerRow = 1;
  /** The bits, row-major; only the first `rows · wordsPerRow` words are in use. */
  readonly words: Int32Array;
  /** Query of row 0, in the current frame. */
  q0 = 0;
  /** Key of column 0, in the current frame. */
  kv0 = 0;
  /** Rows in use. */
  rows = 0;
  private readonly spare: BitSlab[] = [];
  private tailMask = -1;

  constructor(
    /** The most rows the slab will hold (the block size). */
    readonly maxRows: number,
    /** The most key columns the slab will hold (the key length). */
    readonly maxCols: number,
  ) {
    this.words = new Int32Array(maxRows * Math.max(1, Math.ceil(maxCols / 32)));
    this.reset(0, 0, 0, maxCols);
  }

  /** Clears the slab and places it at queries `[q0, q0 + rows)`, keys `[kv0, kv0 + cols)`. */
  reset(q0: number, rows: number, kv0 = 0, cols = this.maxCols): void {
    this.q0 = q0;
    this.kv0 = kv0;
    this.rows = rows;
    this.cols = cols;
    this.wordsPerRow = Math.max(1, Math.ceil(cols / 32));
    const rest = cols & 31;
    this.tailMask = rest === 0 ? -1 : (1 << rest) - 1;
    this.words.fill(0, 0, rows * this.wordsPerRow);
  }

  /** One past the last query of the slab. */
  get q1(): number {
    return this.q0 + this.rows;
  }

  /** One past the last key of the slab. */
  get kv1(): number {
    return this.kv0 + this.cols;
  }

  /** Moves the coordinate frame: after `shift(dq, dkv)`, pattern query `q + dq` names the row `q` named before. */
  shift(dq: number, dkv: number): void {
    this.q0 += dq;
    this.kv0 += dkv;
  }

  /** Marks the pair (q, kv) allowed. */
  set(q: number, kv: number): void {
    const r = q - this.q0;
    const c = kv - this.kv0;
    if (r < 0 || r >= this.rows || c < 0 || c >= this.cols) return;
    this.words[r * this.wordsPerRow + (c >> 5)]! |= 1 << (c & 31);
  }

  /** Marks the pairs (q, kv) for kv in `[lo, hi)` allowed. */
  setRange(q: number, lo: number, hi: number): void {
    const r = q - this.q0;
    if (r < 0 || r >= this.rows) return;
    const a = Math.max(lo - this.kv0, 0);
    const b = Math.min(hi - this.kv0, this.cols);
    if (a >= b) return;
    const base = r * this.wordsPerRow;
    const wa = a >> 5;
    const wb = (b - 1) >> 5;
    const first = -1 << (a & 31);
    const lastBit = (b - 1) & 31;
    const last = lastBit === 31 ? -1 : ((1 << (lastBit + 1)) - 1) | 0;
    if (wa === wb) {
      this.words[base + wa]! |= first & last;
      return;
    }
    this.words[base + wa]! |= first;
    this.words.fill(-1, base + wa + 1, base + wb);
    this.words[base + wb]! |= last;
  }

  /** Marks the pairs (q, kv) for kv = first, first + step, … below `hi` allowed (step ≥ 1). */
  setEvery(q: number, first: number, step: number, hi: number): void {
    const r = q - this.q0;
    if (r < 0 || r >= this.rows) return;
    let c = first - this.kv0;
    if (c < 0) c += Math.ceil(-c / step) * step;
    const end = Math.min(hi - this.kv0, this.cols);
    const base = r * this.wordsPerRow;
    for (; c < end; c += step) this.words[base + (c >> 5)]! |= 1 << (c & 31);
  }

  /** Marks the pairs (q, kv) for q in `[qa, qb)` and kv in `[lo, hi)` allowed. */
  setRows(qa: number, qb: number, lo: number, hi: number): void {
    for (let q = Math.max(qa, this.q0); q < Math.min(qb, this.q1); q++) this.setRange(q, lo, hi);
  }

  /** Whether the pair (q, kv) is marked. */
  has(q: number, kv: number): boolean {
    const r = q - this.q0;
    const c = kv - this.kv0;
    if (r < 0 || r >= this.rows || c < 0 || c >= this.cols) return false;
    return ((this.words[r * this.wordsPerRow + (c >> 5)]! >>> (c & 31)) & 1) === 1;
  }

  /** A cleared slab with the same geometry and frame, for combinators; give it back with {@link release}. */
  borrow(): BitSlab {
    const s = this.spare.pop() ?? new BitSlab(this.maxRows, this.maxCols);
    s.reset(this.q0, this.rows, this.kv0, this.cols);
    return s;
  }

  /** Returns a slab obtained from {@link borrow}. */
  release(slab: BitSlab): void {
    this.spare.push(slab);
  }

  /** this ← this ∧ other. */
  and(other: BitSlab): void {
    const n = this.rows * this.wordsPerRow;
    for (let i = 0; i < n; i++) this.words[i]! &= other.words[i]!;
  }

  /** this ← this ∨ other. */
  or(other: BitSlab): void {
    const n = this.rows * this.wordsPerRow;
    for (let i = 0; i < n; i++) this.words[i]! |= other.words[i]!;
  }

  /** this ← this ∨ ¬other (within the slab's columns). */
  orNot(other: BitSlab): void {
    const w = this.wordsPerRow;
    for (let r = 0; r < this.rows; r++) {
      const base = r * w;
      for (let i = 0; i < w; i++) {
        const mask = i === w - 1 ? this.tailMask : -1;
        this.words[base + i]! |= ~other.words[base + i]! & mask;
      }
    }
  }
}

/**
 * Number of set bits of a 32-bit integer (the SWAR popcount of Hacker's Delight §5-1,
 * https://en.wikipedia.org/wiki/Hamming_weight).
 *
 * @example
 * ```ts
 * popcount32(0b1011); // 3
 * popcount32(-1); // 32
 * ```
 */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
