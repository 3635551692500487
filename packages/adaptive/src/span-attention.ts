import {
  assertNumber,
  InvalidArgumentError,
  scaledDotProductAttention,
  validateAttentionInputs,
} from '@efficient-attention/core';
import {
  blockSparseAttention,
  createBlockMask,
  offsetMask,
  slidingWindow,
} from '@efficient-attention/sparse-masks';
import * as tf from '@tensorflow/tfjs-core';
import {
  assertSpansFit,
  cachedSpanRampScoreMod,
  resolveSpanRamp,
  type SpanRampOptions,
  trimmedSpan,
} from './span-ramp.js';

/** How {@link spanAttention} runs. */
export type SpanExecution = 'block-sparse' | 'dense';

/** Options of {@link spanAttention}. */
export interface SpanAttentionOptions extends SpanRampOptions {
  /** Multiplier of q·k. Default `1 / √headDim`. */
  scale?: number;
  /** Causal masking (the paper's setting: the span covers past keys). Default `false` (a symmetric span). */
  causal?: boolean;
  /**
   * `'block-sparse'`: visit only the key blocks within the largest trimmed span (sparse-masks'
   * `blockSparseAttention` over a sliding-window block mask), so work follows the learned span.
   * `'dense'`: core's `scaledDotProductAttention` with the same score modifier, O(N²) (the reference).
   * Both compute the same function. Default `'block-sparse'`.
   */
  execution?: SpanExecution;
  /** Block size of the block mask (an integer ≥ 1). Default 64. */
  blockSize?: number;
}

const FN = 'spanAttention';

/**
 * The mask {@link spanAttention} compiles into a block mask: keys within distance `window − 1` of each query
 * (`before = window − 1`, and `after = 0` when causal, else `window − 1`), with queries aligned to the end of
 * the keys (`offset = kvLen − qLen`, through sparse-masks' `offsetMask`). Sliding windows: Beltagy et al.
 * 2020, https://arxiv.org/abs/2004.05150; trimmed spans: Sukhbaatar et al. 2019,
 * https://arxiv.org/abs/1905.07799.
 *
 * @example
 * ```ts
 * const mask = createBlockMask(spanWindowMask(64, true, 0), 4096, 4096, { blockSize: 64 });
 * ```
 */
export function spanWindowMask(window: number, causal: boolean, offset: number) {
  const band = slidingWindow({ before: window - 1, after: causal ? 0 : window - 1 });
  return offset === 0 ? band : offsetMask(band, { q: offset });
}

/**
 * Softmax attention under the adaptive-span ramp mask (Sukhbaatar et al. 2019, "Adaptive Attention Span in
 * Transformers", https://arxiv.org/abs/1905.07799): the weights are `m_z(x)·exp(s) / Σ m_z(x)·exp(s)` with
 * the ramp `m_z` of {@link spanRampScoreMod}, for spans given per head (`[heads]`) or per query
 * (`[batch|1, heads|1, qLen|1, 1]`).
 *
 * With `execution: 'block-sparse'` (default) it reads the spans (a data sync), takes the largest
 * {@link trimmedSpan} W, and runs `blockSparseAttention` over a sliding window of W keys (`before = W − 1`,
 * `after = 0` when causal, `W − 1` otherwise): keys outside it have `m = 0`, so the result equals the
 * dense computation while the work is O(N·W·d) instead of O(N²·d). Gradients reach q, k, v and the spans
 * (through the ramp's tensor form); the backward pass of the block-sparse path costs O(N²·d / blockSize)
 * time (sparse-masks' reference scatters key gradients into full-length buffers).
 *
 * Queries are aligned to the end of the keys (`qLen ≤ kvLen`, the KV-cache convention of core's causal
 * masks), so every query keeps its own position and no row is empty.
 *
 * @example
 * ```ts
 * const spans = tf.tensor1d([16, 48]); // z per head, in tokens
 * const out = spanAttention(q, k, v, spans, { causal: true, rampSize: 16, maxSpan: 256 });
 * ```
 */
export function spanAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  spans: tf.Tensor,
  options: SpanAttentionOptions = {},
): tf.Tensor4D {
  const dims = validateAttentionInputs(FN, q, k, v);
  const { rampSize, maxSpan } = resolveSpanRamp(FN, options, ['scale', 'causal', 'execution', 'blockSize']);
  assertSpansFit(FN, spans, dims);
  const scale = options.scale ?? 1 / Math.sqrt(dims.headDim);
  assertNumber(FN, 'options.scale', scale);
  const causal = options.causal ?? false;
  if (typeof causal !== 'boolean') throw new InvalidArgumentError(FN, 'options.causal', 'a boolean', causal);
  const execution = options.execution ?? 'block-sparse';
  if (execution !== 'block-sparse' && execution !== 'dense') {
    throw new InvalidArgumentError(FN, 'options.execution', "'block-sparse' or 'dense'", execution);
  }
  const blockSize = options.blockSize ?? 64;
  assertNumber(FN, 'options.blockSize', blockSize, { integer: true, min: 1 });
  if (dims.qLen > dims.kvLen) {
    throw new InvalidArgumentError(
      FN,
      'q.shape[2] (qLen)',
      `at most k's length ${dims.kvLen}`,
      dims.qLen,
      'Spans are measured from each query’s position aligned to the end of the keys; with more queries than keys the first queries have no position among the keys.',
    );
  }
  const offset = dims.kvLen - dims.qLen;
  // Repeated blocks of the band share their log-mask during this call (disposed below).
  const cache = new Map<string, tf.Tensor>();
  const mod = cachedSpanRampScoreMod(spans, { rampSize, maxSpan, offset }, cache);
  try {
    if (execution === 'dense') return scaledDotProductAttention(q, k, v, { scale, causal, scoreMod: mod });
    const window = Math.max(...trimmedSpan(spans.dataSync(), { rampSize, maxSpan }));
    const blockMask = createBlockMask(spanWindowMask(window, causal, offset), dims.qLen, dims.kvLen, {
      blockSize,
    });
    return blockSparseAttention(q, k, v, blockMask, { scale, scoreMod: mod });
  } finally {
    tf.dispose([...cache.values()]);
  }
}
