/**
 * Attention in float64 with plain loops — the independent reference tests compare against. It shares no
 * code with the library: masks and score modifiers are given as scalar functions. NaN rule: a NaN input
 * reaches exactly the outputs that can see it (a masked key's score and value are never read; a NaN in a
 * visible query or key makes its row NaN, in a visible value its column of the row); rows with no visible
 * key are 0.
 */
export interface ReferenceAttentionInputs {
  /** Row-major `[batch, heads, qLen, headDim]`. */
  q: ArrayLike<number>;
  /** Row-major `[batch, kvHeads, kvLen, headDim]`. */
  k: ArrayLike<number>;
  /** Row-major `[batch, kvHeads, kvLen, valueDim]`. */
  v: ArrayLike<number>;
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
}

export interface ReferenceAttentionOptions {
  scale?: number;
  /** Bottom-right aligned: query i sees kv ≤ i + kvLen − qLen. */
  causal?: boolean;
  allowed?: (b: number, h: number, q: number, kv: number) => boolean;
  scoreMod?: (score: number, b: number, h: number, q: number, kv: number) => number;
}

/**
 * Output elements whose value depends on float32 underflow (registered by {@link referenceAttention} for its
 * `output` array, read by `expectCloseWithNaNs`): a visible key holds ±∞ in that value column and its weight is
 * positive but below {@link FLOAT32_UNDERFLOW_WEIGHT}, so float64 gives ±∞ (tiny · ∞) while a float32 path, whose
 * exp flushes such a weight to 0, gives NaN (0 · ∞). Either answer is right there.
 */
export const underflowAmbiguous = new WeakMap<ArrayLike<number>, Uint8Array>();

/** Weights below this flush to 0 in float32 (smallest normal 2^−126 ≈ 1.18e−38, with a margin). */
export const FLOAT32_UNDERFLOW_WEIGHT = 1e-37;

/** Returns `{ output: [b, h, qLen, valueDim], weights: [b, h, qLen, kvLen] }` in float64. */
export function referenceAttention(
  x: ReferenceAttentionInputs,
  options: ReferenceAttentionOptions = {},
): { output: Float64Array; weights: Float64Array } {
  const { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim } = x;
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  const group = heads / kvHeads;
  const output = new Float64Array(batch * heads * qLen * valueDim);
  const weights = new Float64Array(batch * heads * qLen * kvLen);
  const scores = new Float64Array(kvLen);
  const ok = new Uint8Array(kvLen);
  let ambiguous: Uint8Array | undefined;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kh = Math.floor(h / group);
      for (let i = 0; i < qLen; i++) {
        let max = Number.NEGATIVE_INFINITY;
        let anyOk = false;
        for (let j = 0; j < kvLen; j++) {
          let s = 0;
          for (let t = 0; t < headDim; t++) {
            s +=
              x.q[((b * heads + h) * qLen + i) * headDim + t]! *
              x.k[((b * kvHeads + kh) * kvLen + j) * headDim + t]!;
          }
          s *= scale;
          if (options.scoreMod) s = options.scoreMod(s, b, h, i, j);
          const causalOk = !options.causal || j <= i + kvLen - qLen;
          const maskOk = options.allowed ? options.allowed(b, h, i, j) : true;
          ok[j] = causalOk && maskOk ? 1 : 0;
          if (ok[j]) anyOk = true;
          scores[j] = s;
          if (ok[j] && s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < kvLen; j++) {
          const e = ok[j] ? Math.exp(scores[j]! - max) : 0;
          scores[j] = e;
          sum += e;
        }
        for (let j = 0; j < kvLen; j++) {
          // The NaN rule: a masked key is never read (weight 0, value skipped); a NaN score of a visible key
          // (NaN q or k) makes the sum NaN and so the whole row; a NaN visible value reaches its column. Only a
          // row with no visible key is 0.
          const w = anyOk ? scores[j]! / sum : 0;
          weights[((b * heads + h) * qLen + i) * kvLen + j] = w;
          if (!ok[j]) continue;
          for (let t = 0; t < valueDim; t++) {
            const value = x.v[((b * kvHeads + kh) * kvLen + j) * valueDim + t]!;
            output[((b * heads + h) * qLen + i) * valueDim + t]! += w * value;
            if (w > 0 && w < FLOAT32_UNDERFLOW_WEIGHT && !Number.isFinite(value) && !Number.isNaN(value)) {
              ambiguous ??= new Uint8Array(output.length);
              ambiguous[((b * heads + h) * qLen + i) * valueDim + t] = 1;
            }
          }
        }
      }
    }
  }
  if (ambiguous !== undefined) underflowAmbiguous.set(output, ambiguous);
  return { output, weights };
}
