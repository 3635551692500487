import {
  assertKnownOptions,
  assertNumber,
  InvalidArgumentError,
  type ScoreMod,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { type SpanAttentionOptions, spanAttention } from './span-attention.js';
import { type SpanPenaltyOptions, spanPenalty } from './span-penalty.js';
import { resolveSpanRamp, type SpanRampOptions, spanRampScoreMod, trimmedSpan } from './span-ramp.js';

/** Options of {@link AdaptiveSpan}. */
export interface AdaptiveSpanOptions extends SpanRampOptions {
  /** Number of attention heads (one learnable span each). Required. */
  heads: number;
  /** The initial span z of every head, in tokens, in [0, maxSpan]. Default 0 (the paper's initialisation). */
  initialSpan?: number;
  /** Whether `span` is trainable. Default `true`. */
  trainable?: boolean;
}

const FN = 'AdaptiveSpan';

/**
 * A learnable attention span per head (Sukhbaatar et al. 2019, "Adaptive Attention Span in Transformers",
 * https://arxiv.org/abs/1905.07799): `span` is a `tf.Variable` z of shape `[heads]` (in tokens), the soft
 * mask is the ramp `m_z(x) = clamp((R + z − x)/R, 0, 1)` ({@link spanRampScoreMod}), the loss gets the
 * penalty `λ · mean(z)` ({@link spanPenalty}), and {@link AdaptiveSpan.trimmedSpan} reports how many keys
 * each head needs so that {@link AdaptiveSpan.attention} visits only those (block-sparse).
 *
 * Training: add `penalty(λ)` to the loss, and call `clamp()` after each optimiser step (the paper clamps
 * z to [0, S] after every update; the forward pass clamps too, so an unclamped z never leaves the ramp).
 *
 * @example
 * ```ts
 * const span = new AdaptiveSpan({ heads: 8, maxSpan: 1024, rampSize: 32, initialSpan: 64 });
 * const optimizer = tf.train.adam(0.05);
 * optimizer.minimize(() => tf.add(taskLoss(span.attention(q, k, v, { causal: true })), span.penalty(2e-6)));
 * span.clamp();
 * span.trimmedSpan(); // keys per head, e.g. [96, 96, …]
 * ```
 */
export class AdaptiveSpan {
  /** z per head, in tokens: `[heads]`. */
  readonly span: tf.Variable;
  readonly heads: number;
  /** R. */
  readonly rampSize: number;
  /** S. */
  readonly maxSpan: number;

  constructor(options: AdaptiveSpanOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(FN, 'options', 'an options object with `heads`', options);
    }
    assertKnownOptions(FN, options, ['heads', 'rampSize', 'maxSpan', 'initialSpan', 'trainable']);
    const { rampSize, maxSpan } = resolveSpanRamp(FN, {
      rampSize: options.rampSize,
      maxSpan: options.maxSpan,
    });
    assertNumber(FN, 'options.heads', options.heads, { integer: true, min: 1 });
    const initialSpan = options.initialSpan ?? 0;
    assertNumber(FN, 'options.initialSpan', initialSpan, { min: 0, max: maxSpan });
    const trainable = options.trainable ?? true;
    if (typeof trainable !== 'boolean')
      throw new InvalidArgumentError(FN, 'options.trainable', 'a boolean', trainable);
    this.heads = options.heads;
    this.rampSize = rampSize;
    this.maxSpan = maxSpan;
    const init = tf.fill([options.heads], initialSpan);
    this.span = tf.variable(init, trainable); // holds its own reference: free `init`, or dispose() leaves it behind
    init.dispose();
  }

  /** The ramp score modifier over the live `span` variable (see {@link spanRampScoreMod}). */
  scoreMod(options: { offset?: number } = {}): ScoreMod {
    return spanRampScoreMod(this.span, { rampSize: this.rampSize, maxSpan: this.maxSpan, ...options });
  }

  /** Keys each head needs, `min(S, ⌈z + R⌉)` (a data sync; see {@link trimmedSpan}). */
  trimmedSpan(): number[] {
    return trimmedSpan(this.span.dataSync(), { rampSize: this.rampSize, maxSpan: this.maxSpan });
  }

  /** The span penalty `λ · mean(z)` (or `λ · Σz` with `reduction: 'sum'`), to add to the loss. */
  penalty(lambda: number, options: Omit<SpanPenaltyOptions, 'lambda'> = {}): tf.Scalar {
    return spanPenalty(this.span, { ...options, lambda });
  }

  /** Clamps z to [0, S] in place — call after each optimiser step. */
  clamp(): void {
    tf.tidy(() => this.span.assign(tf.clipByValue(this.span, 0, this.maxSpan)));
  }

  /** Attention under this span: {@link spanAttention} with `spans = span` (block-sparse by default). */
  attention(
    q: tf.Tensor,
    k: tf.Tensor,
    v: tf.Tensor,
    options: Omit<SpanAttentionOptions, 'rampSize' | 'maxSpan'> = {},
  ): tf.Tensor4D {
    assertKnownOptions(`${FN}.attention`, options, ['scale', 'causal', 'execution', 'blockSize']);
    return spanAttention(q, k, v, this.span, { ...options, rampSize: this.rampSize, maxSpan: this.maxSpan });
  }

  /** Frees the variable. */
  dispose(): void {
    this.span.dispose();
  }
}
