import { spanRampScoreMod, trimmedSpan } from '@efficient-attention/adaptive';
import { scaledDotProductAttention, seededNormal } from '@efficient-attention/core';
import { loadTf } from './load-tf.js';

/** Parameters of {@link spanFigureData}. */
export interface SpanFigureParams {
  /** Sequence length N. */
  n: number;
  /** The span z in tokens. */
  span: number;
  /** The ramp width R in tokens. */
  rampSize: number;
  /** Head width of the random queries and keys. */
  headDim: number;
  /** Seed of the random queries and keys. */
  seed: number;
}

/** What the adaptive-span figure draws. */
export interface SpanFigureData {
  /** m_z(x) for distances x = 0 … N − 1. */
  ramp: number[];
  /** Causal softmax weights `[query][key]` of seeded random q, k. */
  denseWeights: number[][];
  /** The same attention with the soft span mask m_z applied (renormalised). */
  spanWeights: number[][];
  /** Keys per query the span keeps, min(N, ⌈z + R⌉) (`trimmedSpan`). */
  trimmed: number;
}

/**
 * Causal attention of seeded random queries and keys with and without the adaptive-span soft mask
 * m_z(x) = clamp((R + z − x) / R, 0, 1) (`spanRampScoreMod` of `@efficient-attention/adaptive`, Sukhbaatar et
 * al. 2019, eq. 4, https://arxiv.org/abs/1905.07799), with the ramp itself read from the score modifier's
 * scalar form.
 *
 * @example
 * ```ts
 * const { ramp, trimmed } = await spanFigureData({ n: 32, span: 8, rampSize: 4, headDim: 16, seed: 0 });
 * ramp[10]; // 0.5; trimmed = 12
 * ```
 */
export async function spanFigureData(p: SpanFigureParams): Promise<SpanFigureData> {
  const tf = await loadTf();
  const options = { rampSize: p.rampSize, maxSpan: p.n };
  const spans = tf.tensor1d([p.span]);
  try {
    const mod = spanRampScoreMod(spans, options);
    const ramp = Array.from({ length: p.n }, (_, x) => Math.exp(mod.scalar(0, 0, 0, x, 0)));
    const [denseWeights, spanWeights] = tf.tidy(() => {
      const q = seededNormal([1, 1, p.n, p.headDim], p.seed);
      const k = seededNormal([1, 1, p.n, p.headDim], p.seed + 1);
      const dense = scaledDotProductAttention(q, k, k, { causal: true, returnWeights: true });
      const span = scaledDotProductAttention(q, k, k, { causal: true, returnWeights: true, scoreMod: mod });
      return [dense.weights.arraySync()[0]![0]!, span.weights.arraySync()[0]![0]!];
    });
    return { ramp, denseWeights, spanWeights, trimmed: trimmedSpan([p.span], options)[0]! };
  } finally {
    spans.dispose();
  }
}
