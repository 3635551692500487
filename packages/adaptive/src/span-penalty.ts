import {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  InvalidArgumentError,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link spanPenalty}. */
export interface SpanPenaltyOptions {
  /** λ ≥ 0, the weight of the penalty. Required. */
  lambda: number;
  /**
   * `'mean'`: `λ · mean(z)` — the paper's `(λ / M) Σᵢ zᵢ` over M heads (or over every predicted span of a
   * dynamic span). `'sum'`: `λ · Σ z`. Default `'mean'`.
   */
  reduction?: 'mean' | 'sum';
}

const FN = 'spanPenalty';

/**
 * The ℓ1 span penalty of adaptive attention span (Sukhbaatar et al. 2019, §3.2,
 * https://arxiv.org/abs/1905.07799), added to the training loss so that each head keeps only the context
 * it needs: `λ · mean(z)` by default (`(λ/M) Σ zᵢ` over M heads), `λ · Σ z` with `reduction: 'sum'`.
 * Spans are non-negative (clamp them after each optimiser step), so this is an ℓ1 norm.
 *
 * @param spans span values z in tokens, any shape (e.g. `AdaptiveSpan.span`, or the `[b, h, n, 1]`
 *   predictions of a `DynamicSpan`).
 * @returns a scalar; its gradient with respect to each zᵢ is λ/M (mean) or λ (sum).
 *
 * @example
 * ```ts
 * const loss = tf.add(taskLoss, spanPenalty(adaptiveSpan.span, { lambda: 2e-6 }));
 * ```
 */
export function spanPenalty(spans: tf.Tensor, options: SpanPenaltyOptions): tf.Scalar {
  assertKnownOptions(FN, options, ['lambda', 'reduction']);
  if (options === undefined)
    throw new InvalidArgumentError(FN, 'options', 'an object with `lambda`', options);
  assertNumber(FN, 'options.lambda', options.lambda, { min: 0 });
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') {
    throw new InvalidArgumentError(FN, 'options.reduction', "'mean' or 'sum'", reduction);
  }
  assertLiveTensor(FN, 'spans', spans);
  if (!(spans instanceof tf.Tensor) || spans.dtype !== 'float32' || spans.size === 0) {
    throw new InvalidArgumentError(FN, 'spans', 'a non-empty float32 tensor', spans);
  }
  return tf.tidy(
    () => tf.mul(options.lambda, reduction === 'mean' ? tf.mean(spans) : tf.sum(spans)) as tf.Scalar,
  );
}
