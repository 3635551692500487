import {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  createRandom,
  InvalidArgumentError,
  type ScoreMod,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { type SpanAttentionOptions, spanAttention } from './span-attention.js';
import { resolveSpanRamp, type SpanRampOptions, spanRampScoreMod } from './span-ramp.js';

/** Options of {@link DynamicSpan}. */
export interface DynamicSpanOptions extends SpanRampOptions {
  /** Number of attention heads. Required. */
  heads: number;
  /** Features of the input the span is predicted from (the head dimension when predicting from q). Required. */
  inputDim: number;
  /**
   * The span predicted for a zero input, in tokens, in (0, maxSpan): sets the bias `b = logit(z₀ / S)`.
   * Default 32.
   */
  initialSpan?: number;
  /** Seed of the weight initialisation (normal, std `1 / √inputDim`). Default 0. */
  seed?: number;
}

/** Options of {@link DynamicSpan.attention}. */
export interface DynamicSpanAttentionOptions extends Omit<SpanAttentionOptions, 'rampSize' | 'maxSpan'> {
  /** What the spans are predicted from, `[batch, heads, qLen, inputDim]`. Default: the queries `q`. */
  input?: tf.Tensor;
}

const FN = 'DynamicSpan';

/**
 * A span predicted from the input at every position — the adaptive span's dynamic variant (Sukhbaatar et
 * al. 2019, §3.2 "Dynamic attention span", https://arxiv.org/abs/1905.07799): for head h and position t,
 * `z_t = S · σ(v_hᵀ x_t + b_h)`, so the context each query reads adjusts to the input. The ramp mask and
 * its execution are those of the static span ({@link spanRampScoreMod}, {@link spanAttention}); `weights`
 * v `[heads, inputDim]` and `bias` b `[heads]` are `tf.Variable`s and receive gradients through the
 * ramp. The block-sparse window is the largest trimmed span over all positions (a data sync per call).
 *
 * @example
 * ```ts
 * const dyn = new DynamicSpan({ heads: 4, inputDim: 32, maxSpan: 512, initialSpan: 32, seed: 1 });
 * const z = dyn.predict(q); // [batch, 4, seq, 1], in tokens
 * const out = dyn.attention(q, k, v, { causal: true });
 * const loss = tf.add(taskLoss(out), spanPenalty(z, { lambda: 2e-6 }));
 * ```
 */
export class DynamicSpan {
  /** v: `[heads, inputDim]`. */
  readonly weights: tf.Variable;
  /** b: `[heads]`. */
  readonly bias: tf.Variable;
  readonly heads: number;
  readonly inputDim: number;
  /** R. */
  readonly rampSize: number;
  /** S. */
  readonly maxSpan: number;

  constructor(options: DynamicSpanOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(FN, 'options', 'an options object with `heads` and `inputDim`', options);
    }
    assertKnownOptions(FN, options, ['heads', 'inputDim', 'rampSize', 'maxSpan', 'initialSpan', 'seed']);
    const { rampSize, maxSpan } = resolveSpanRamp(FN, {
      rampSize: options.rampSize,
      maxSpan: options.maxSpan,
    });
    assertNumber(FN, 'options.heads', options.heads, { integer: true, min: 1 });
    assertNumber(FN, 'options.inputDim', options.inputDim, { integer: true, min: 1 });
    const initialSpan = options.initialSpan ?? 32;
    assertNumber(FN, 'options.initialSpan', initialSpan, { positive: true });
    if (initialSpan >= maxSpan) {
      throw new InvalidArgumentError(FN, 'options.initialSpan', `< maxSpan (${maxSpan})`, initialSpan);
    }
    const seed = options.seed ?? 0;
    assertNumber(FN, 'options.seed', seed, { integer: true });
    this.heads = options.heads;
    this.inputDim = options.inputDim;
    this.rampSize = rampSize;
    this.maxSpan = maxSpan;
    const rng = createRandom(seed);
    const std = 1 / Math.sqrt(options.inputDim);
    const ratio = initialSpan / maxSpan;
    const initWeights = tf.tensor2d(rng.normalArray(options.heads * options.inputDim, std), [
      options.heads,
      options.inputDim,
    ]);
    const initBias = tf.fill([options.heads], Math.log(ratio / (1 - ratio)));
    // tf.variable holds its own reference to the data: free both, or dispose() leaves them behind.
    this.weights = tf.variable(initWeights);
    this.bias = tf.variable(initBias);
    tf.dispose([initWeights, initBias]);
  }

  /** The spans `z = S·σ(x·v + b)` for `x` shaped `[batch, heads, seq, inputDim]` → `[batch, heads, seq, 1]`. */
  predict(x: tf.Tensor): tf.Tensor4D {
    assertLiveTensor(`${FN}.predict`, 'x', x);
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.dtype !== 'float32') {
      throw new InvalidArgumentError(
        `${FN}.predict`,
        'x',
        'a float32 tensor [batch, heads, seq, inputDim]',
        x,
      );
    }
    if (x.shape[1] !== this.heads || x.shape[3] !== this.inputDim) {
      throw new InvalidArgumentError(
        `${FN}.predict`,
        'x.shape',
        `[batch, ${this.heads}, seq, ${this.inputDim}] (heads and inputDim of this DynamicSpan)`,
        x.shape,
      );
    }
    return tf.tidy(() => {
      const v = tf.reshape(this.weights, [1, this.heads, this.inputDim, 1]);
      const logits = tf.add(
        tf.matMul(x, tf.tile(v, [x.shape[0]!, 1, 1, 1])),
        tf.reshape(this.bias, [1, this.heads, 1, 1]),
      );
      return tf.mul(tf.sigmoid(logits), this.maxSpan) as tf.Tensor4D;
    });
  }

  /** The ramp score modifier for predicted spans `z` (keep `z` alive while it is used). */
  scoreMod(z: tf.Tensor, options: { offset?: number } = {}): ScoreMod {
    return spanRampScoreMod(z, { rampSize: this.rampSize, maxSpan: this.maxSpan, ...options });
  }

  /** Attention with spans predicted from `options.input` (default: q), via {@link spanAttention}. */
  attention(
    q: tf.Tensor,
    k: tf.Tensor,
    v: tf.Tensor,
    options: DynamicSpanAttentionOptions = {},
  ): tf.Tensor4D {
    assertKnownOptions(`${FN}.attention`, options, ['input', 'scale', 'causal', 'execution', 'blockSize']);
    const { input, ...rest } = options;
    return tf.tidy(() => {
      const z = this.predict(input ?? q);
      return spanAttention(q, k, v, z, { ...rest, rampSize: this.rampSize, maxSpan: this.maxSpan });
    });
  }

  /** Frees the variables. */
  dispose(): void {
    this.weights.dispose();
    this.bias.dispose();
  }
}
