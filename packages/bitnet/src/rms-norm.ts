import { assertKnownOptions, assertNumber, InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { assertFloat32Tensor } from './tensor-arguments.js';

/** Options of {@link rmsNorm}. */
export interface RmsNormOptions {
  /** Learnable gain g, float32 `[d]` (the last axis of x). Default: none (g = 1). */
  gain?: tf.Tensor;
  /** ε > 0 added to the mean square. Default `1e-6` (LLaMA's RMSNorm, which BitNet b1.58 follows). */
  epsilon?: number;
}

/**
 * RMSNorm (Zhang & Sennrich 2019, https://arxiv.org/abs/1910.07467) over the last axis:
 * `x / √(mean(x²) + ε) · g`. BitLinear applies it to its input before quantising the activations — the
 * SubLN placement of BitNet (https://arxiv.org/abs/2310.11453, §2.1; SubLN: https://arxiv.org/abs/2210.06423).
 * A zero row stays zero (ε > 0 keeps the divisor positive). Differentiable in x and g.
 *
 * @example
 * ```ts
 * rmsNorm(tf.tensor2d([[3, 4]])); // [3, 4] / √(12.5 + 1e-6) ≈ [[0.849, 1.131]]
 * ```
 */
export function rmsNorm(x: tf.Tensor, options: RmsNormOptions = {}): tf.Tensor {
  const fn = 'rmsNorm';
  assertFloat32Tensor(fn, 'x', x);
  assertKnownOptions(fn, options, ['gain', 'epsilon']);
  const epsilon = options.epsilon ?? 1e-6;
  assertNumber(fn, 'options.epsilon', epsilon, { positive: true });
  const d = x.shape[x.rank - 1]!;
  const { gain } = options;
  if (gain !== undefined) {
    assertFloat32Tensor(fn, 'options.gain', gain, { rank: 1 });
    if (gain.shape[0] !== d) {
      throw new InvalidArgumentError(fn, 'options.gain.shape', `[${d}] (the last axis of x)`, gain.shape);
    }
  }
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.square(x), -1, true);
    const normed = tf.mul(x, tf.rsqrt(tf.add(meanSquare, epsilon)));
    return gain === undefined ? normed : tf.mul(normed, gain);
  });
}
