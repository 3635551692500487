import {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  InvalidArgumentError,
  type ScoreMod,
  scoreMod,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { addRampLogMask, rampMask, spanIndexer } from './span-ramp-block.js';

/** Options of {@link spanRampScoreMod} and {@link trimmedSpan}. */
export interface SpanRampOptions {
  /** R, the width of the linear ramp in tokens (> 0). Default 32, as in the paper. */
  rampSize?: number;
  /**
   * S, the maximum span in tokens (an integer ≥ 1): spans are clamped to [0, S] and keys at distance ≥ S
   * are never attended (the paper's attention window). Default 1024.
   */
  maxSpan?: number;
}

/** Options of {@link spanRampScoreMod}. */
export interface SpanRampScoreModOptions extends SpanRampOptions {
  /**
   * Added to `q − kv` to form the distance: `kvLen − qLen` aligns queries with the end of the keys (a KV
   * cache, the convention of core's causal masks). An integer. Default 0 (self-attention).
   */
  offset?: number;
}

/**
 * Default ramp width R in tokens, the value of Sukhbaatar et al. 2019 (https://arxiv.org/abs/1905.07799).
 *
 * @example
 * ```ts
 * trimmedSpan([0], { rampSize: DEFAULT_RAMP_SIZE }); // [32]
 * ```
 */
export const DEFAULT_RAMP_SIZE = 32;

/**
 * Default maximum span S in tokens (Sukhbaatar et al. 2019 use up to 8192 for character models,
 * https://arxiv.org/abs/1905.07799).
 *
 * @example
 * ```ts
 * trimmedSpan([5000]); // [DEFAULT_MAX_SPAN]: spans are clamped to S
 * ```
 */
export const DEFAULT_MAX_SPAN = 1024;

/** Validates ramp/max-span options and fills defaults. */
export function resolveSpanRamp(
  fn: string,
  options: SpanRampOptions | undefined,
  extraKeys: readonly string[] = [],
): { rampSize: number; maxSpan: number } {
  assertKnownOptions(fn, options, ['rampSize', 'maxSpan', ...extraKeys]);
  const rampSize = options?.rampSize ?? DEFAULT_RAMP_SIZE;
  const maxSpan = options?.maxSpan ?? DEFAULT_MAX_SPAN;
  assertNumber(fn, 'options.rampSize', rampSize, { positive: true });
  assertNumber(fn, 'options.maxSpan', maxSpan, { integer: true, min: 1 });
  return { rampSize, maxSpan };
}

/**
 * Number of keys a span keeps: `m_z(x) > 0` exactly for the distances `x < z + R` (and `x < S`), that is
 * `x ∈ [0, ⌈z + R⌉ − 1]`, so each span needs `min(S, ⌈z + R⌉)` keys per side — the paper's trimmed
 * context (Sukhbaatar et al. 2019, §3.3, https://arxiv.org/abs/1905.07799). Spans are clamped to [0, S]
 * first.
 *
 * @param spans span values z (in tokens), e.g. `await adaptiveSpan.span.data()`.
 * @returns one integer in [1, S] per span.
 *
 * @example
 * ```ts
 * trimmedSpan([32, 0.5], { rampSize: 32, maxSpan: 1024 }); // [64, 33]
 * ```
 */
export function trimmedSpan(spans: ArrayLike<number>, options: SpanRampOptions = {}): number[] {
  const { rampSize, maxSpan } = resolveSpanRamp('trimmedSpan', options);
  return Array.from(spans, (z, i) => {
    assertNumber('trimmedSpan', `spans[${i}]`, z);
    const clamped = Math.min(maxSpan, Math.max(0, z));
    return Math.min(maxSpan, Math.ceil(clamped + rampSize));
  });
}

/**
 * Throws unless `spans` is a float32 `[heads]` tensor (or `[1]`), or a rank-4 tensor broadcastable to
 * `[batch, heads, qLen, 1]`, for attention of the given shape.
 */
export function assertSpansFit(
  fn: string,
  spans: unknown,
  dims: { batch: number; heads: number; qLen: number },
): asserts spans is tf.Tensor {
  const expected = `a float32 tensor of shape [${dims.heads}] (a span per head) or broadcastable to [${dims.batch}, ${dims.heads}, ${dims.qLen}, 1] (a span per query)`;
  assertLiveTensor(fn, 'spans', spans);
  if (!(spans instanceof tf.Tensor) || spans.dtype !== 'float32') {
    throw new InvalidArgumentError(fn, 'spans', expected, spans);
  }
  const target = [dims.batch, dims.heads, dims.qLen, 1];
  const fits =
    spans.rank === 1
      ? spans.shape[0] === 1 || spans.shape[0] === dims.heads
      : spans.rank === 4 && spans.shape.every((s: number, i: number) => s === 1 || s === target[i]);
  if (!fits) throw new InvalidArgumentError(fn, 'spans', expected, spans);
}

/**
 * The soft span mask of adaptive attention span (Sukhbaatar et al. 2019, "Adaptive Attention Span in
 * Transformers", eq. 4, https://arxiv.org/abs/1905.07799) as a core `ScoreMod`:
 *
 * `m_z(x) = clamp((R + z − x) / R, 0, 1)` for a key at distance `x < S`, and `m_z(x) = 0` for `x ≥ S`,
 *
 * applied multiplicatively to the attention weights before renormalisation — `a = m·exp(s) / Σ m·exp(s)` —
 * which is adding `log m` to the score (`−∞`, weight exactly 0, where `m = 0`). The distance is
 * `x = |q + offset − kv|`: for causal attention this is the paper's left context (future keys are masked
 * anyway); without `causal` the span is symmetric, future keys at distance `x` get the same `m_z(x)` as past
 * ones. Every query keeps its own position (`m_z(0) ≥ 1`) when its aligned position is a key.
 *
 * `spans` holds z in tokens, clamped to [0, S]: shape `[heads]` (one learnable span per head, the
 * paper's adaptive span) or a rank-4 tensor broadcastable to `[batch, heads, qLen, 1]` (a span per query,
 * the dynamic span). Both forms read the span values with one data sync, cached until `spans` gets new data
 * (a `tf.Variable` does on every `assign`). The tensor form builds each block's `log m` from them and adds it
 * to the scores; a custom gradient sends `dy · ∂log m/∂z` (`1/(R·m)` on the ramp, 0 where the ramp is flat,
 * where z is clamped and where `m = 0`) back to `spans`, so z is trainable. Keep `spans` alive while the
 * modifier is in use.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { scaledDotProductAttention } from '@efficient-attention/core';
 * import { spanRampScoreMod } from '@efficient-attention/adaptive';
 * const z = tf.variable(tf.tensor1d([8, 40])); // two heads
 * const mod = spanRampScoreMod(z, { rampSize: 16, maxSpan: 128 });
 * const out = scaledDotProductAttention(q, k, v, { causal: true, scoreMod: mod });
 * ```
 */
export function spanRampScoreMod(spans: tf.Tensor, options: SpanRampScoreModOptions = {}): ScoreMod {
  return cachedSpanRampScoreMod(spans, options);
}

/**
 * {@link spanRampScoreMod} whose tensor form reuses the log-mask of repeated blocks through `cache` (for the
 * duration of one attention call: the caller disposes the cached tensors afterwards).
 */
export function cachedSpanRampScoreMod(
  spans: tf.Tensor,
  options: SpanRampScoreModOptions,
  cache?: Map<string, tf.Tensor>,
): ScoreMod {
  const FN = 'spanRampScoreMod';
  const { rampSize, maxSpan } = resolveSpanRamp(FN, options, ['offset']);
  const offset = options.offset ?? 0;
  assertNumber(FN, 'options.offset', offset, { integer: true });
  assertLiveTensor(FN, 'spans', spans);
  if (!(spans instanceof tf.Tensor) || spans.dtype !== 'float32') {
    throw new InvalidArgumentError(FN, 'spans', 'a float32 tensor', spans);
  }
  if (!(spans.rank === 1 || (spans.rank === 4 && spans.shape[3] === 1))) {
    throw new InvalidArgumentError(
      FN,
      'spans',
      'a tensor of shape [heads] or [batch|1, heads|1, qLen|1, 1]',
      spans,
    );
  }
  const constants = { rampSize, maxSpan, offset };
  const index = spanIndexer(spans);
  // Span values, read once per tensor data (a Variable gets new data on every assign).
  let snapshotOf: object | undefined;
  let snapshot: ArrayLike<number> = [];
  const values = (): ArrayLike<number> => {
    if (snapshotOf !== spans.dataId) {
      snapshot = spans.dataSync();
      snapshotOf = spans.dataId;
    }
    return snapshot;
  };
  return scoreMod({
    name: 'span-ramp',
    scalar: (s, b, h, q, kv) => {
      const m = rampMask(values()[index(b, h, q)]!, Math.abs(q + offset - kv), constants);
      return m > 0 ? s + Math.log(m) : Number.NEGATIVE_INFINITY;
    },
    tensor: (s, ctx) => addRampLogMask(FN, spans, values(), s, ctx, constants, cache),
  });
}
