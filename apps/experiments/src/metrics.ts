import { IGNORE_INDEX } from './tasks/task-batch.js';

/** Correct and counted predictions; sums across batches before dividing. */
export interface AccuracyCount {
  correct: number;
  total: number;
}

/**
 * Counts `predictions[i] === targets[i]` over the positions whose target is not `ignoreIndex`.
 *
 * @example
 * ```ts
 * maskedAccuracy([1, 2, 3], [1, -1, 0]); // { correct: 1, total: 2 }
 * ```
 */
export function maskedAccuracy(
  predictions: ArrayLike<number>,
  targets: ArrayLike<number>,
  ignoreIndex = IGNORE_INDEX,
): AccuracyCount {
  if (predictions.length !== targets.length) {
    throw new Error(`maskedAccuracy: ${predictions.length} predictions for ${targets.length} targets.`);
  }
  let correct = 0;
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i] === ignoreIndex) continue;
    total++;
    if (predictions[i] === targets[i]) correct++;
  }
  return { correct, total };
}

/**
 * Whole-sequence accuracy: an example counts as correct only if every non-ignored target is predicted.
 * Arrays are `[batch, seqLen]` row-major.
 */
export function exactMatchAccuracy(
  predictions: ArrayLike<number>,
  targets: ArrayLike<number>,
  seqLen: number,
  ignoreIndex = IGNORE_INDEX,
): AccuracyCount {
  if (predictions.length !== targets.length || targets.length % seqLen !== 0) {
    throw new Error(
      `exactMatchAccuracy: ${predictions.length} predictions, ${targets.length} targets, seqLen ${seqLen}.`,
    );
  }
  let correct = 0;
  const total = targets.length / seqLen;
  for (let b = 0; b < total; b++) {
    let ok = true;
    for (let t = b * seqLen; t < (b + 1) * seqLen && ok; t++) {
      if (targets[t] !== ignoreIndex && predictions[t] !== targets[t]) ok = false;
    }
    if (ok) correct++;
  }
  return { correct, total };
}

/** Adds counts (for accumulating over batches). */
export function addCounts(a: AccuracyCount, b: AccuracyCount): AccuracyCount {
  return { correct: a.correct + b.correct, total: a.total + b.total };
}

/** correct / total, or null when nothing was counted. */
export function ratio(count: AccuracyCount): number | null {
  return count.total === 0 ? null : count.correct / count.total;
}

/** Perplexity from a mean negative log-likelihood in nats: exp(NLL). */
export function perplexity(meanNllNats: number): number {
  return Math.exp(meanNllNats);
}

/** Bits per character from a mean negative log-likelihood in nats: NLL / ln 2. */
export function bitsPerCharacter(meanNllNats: number): number {
  return meanNllNats / Math.LN2;
}

/** Token-weighted mean of per-batch mean losses: Σ lossᵢ·nᵢ / Σ nᵢ. */
export function weightedMean(values: readonly { value: number; weight: number }[]): number {
  let sum = 0;
  let weight = 0;
  for (const v of values) {
    sum += v.value * v.weight;
    weight += v.weight;
  }
  if (weight === 0) throw new Error('weightedMean: total weight is 0.');
  return sum / weight;
}

/** Share of the most frequent label: the accuracy of always guessing it. */
export function majorityBaseline(labels: ArrayLike<number>): number {
  if (labels.length === 0) throw new Error('majorityBaseline of no labels.');
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}

/**
 * Share of attention weights above `threshold` among the entries a causal (or full) mask allows, for maps
 * `[heads, s, s]` flattened: how dense the attention a model actually uses is.
 */
export function attentionDensity(
  weights: ArrayLike<number>,
  seqLen: number,
  options: { causal: boolean; threshold?: number },
): number {
  const threshold = options.threshold ?? 1e-3;
  const plane = seqLen * seqLen;
  if (weights.length % plane !== 0)
    throw new Error(`attentionDensity: ${weights.length} weights is not a multiple of ${seqLen}².`);
  let above = 0;
  let allowed = 0;
  for (let p = 0; p < weights.length; p += plane) {
    for (let q = 0; q < seqLen; q++) {
      const last = options.causal ? q : seqLen - 1;
      for (let k = 0; k <= last; k++) {
        allowed++;
        if (weights[p + q * seqLen + k]! > threshold) above++;
      }
    }
  }
  return above / allowed;
}
