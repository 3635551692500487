/**
 * Where a block enumerator marks the allowed (query, key) pairs of a rectangle of queries `[q0, q1)` and keys
 * `[kv0, kv1)`, in pattern coordinates; pairs outside the rectangle are ignored, so fillers never need to
 * clip. {@link BitSlab} is one (a plain bitmap that combinators can AND/OR); `BlockBitWriter` is another,
 * which writes straight into the per-partial-block bitmasks of a block mask (FlexAttention's layout,
 * https://arxiv.org/abs/2412.05496).
 *
 * @example
 * ```ts
 * const fillStrided = (sink: BitSink, stride: number) => {
 *   for (let q = sink.q0; q < sink.q1; q++) for (let kv = q; kv >= sink.kv0; kv -= stride) sink.set(q, kv);
 * };
 * ```
 */
export interface BitSink {
  /** First query of the rectangle. */
  readonly q0: number;
  /** One past its last query. */
  readonly q1: number;
  /** First key of the rectangle. */
  readonly kv0: number;
  /** One past its last key. */
  readonly kv1: number;
  /** Marks the pair (q, kv) allowed. */
  set(q: number, kv: number): void;
  /** Marks the pairs (q, kv) for kv in `[lo, hi)` allowed. */
  setRange(q: number, lo: number, hi: number): void;
  /** Marks the pairs (q, kv) for kv = first, first + step, … below `hi` allowed (step ≥ 1). */
  setEvery(q: number, first: number, step: number, hi: number): void;
  /** Marks the pairs (q, kv) for q in `[qa, qb)` and kv in `[lo, hi)` allowed (one rectangle). */
  setRows(qa: number, qb: number, lo: number, hi: number): void;
}
