import * as tf from '@tensorflow/tfjs-core';
import { assertFloat32Tensor } from './tensor-arguments.js';

/** int8 codes of activations and their per-token scales: x ≈ `scales · values`. */
export interface QuantizedActivations {
  /** int32 (tfjs has no int8), same shape as x, in [−128, 127]. */
  values: tf.Tensor;
  /**
   * float32 `[..., 1]`: one dequantising scale per token, max(‖x‖∞, 1e-5) / 127. It broadcasts against
   * `values`, and for 2-D x (`[M, K]`) it is the `activationScales` `[M, 1]` core's `ternaryMatMul` takes.
   */
  scales: tf.Tensor;
}

/** Qb of BitNet's 8-bit absmax quantizer (Q_b = 2^(b−1) − 1 for b = 8). */
export const ACTIVATION_QB = 127;

/** Floor of the per-token absmax, as the BitNet b1.58 code's `clamp_(min=1e-5)`: zero tokens give zeros. */
export const ACTIVATION_ABSMAX_MIN = 1e-5;

/** The per-token multiplier 127 / max(‖x‖∞, 1e-5) over the last axis, `[..., 1]`. */
function quantizationMultiplier(x: tf.Tensor): tf.Tensor {
  const absmax = tf.maximum(tf.max(tf.abs(x), -1, true), ACTIVATION_ABSMAX_MIN);
  return tf.div(ACTIVATION_QB, absmax);
}

/**
 * Per-token absmax 8-bit quantisation of activations (BitNet, Wang et al. 2023,
 * https://arxiv.org/abs/2310.11453, eq. 4–5; BitNet b1.58, https://arxiv.org/abs/2402.17764): over the last
 * axis, values = clamp(round(x · 127 / max(‖x‖∞, 1e-5)), −128, 127) (round half to even, like
 * `torch.round`). For inference (no gradient); see {@link fakeQuantizeActivations} for training.
 *
 * @example
 * ```ts
 * const { values, scales } = quantizeActivations(tf.tensor2d([[0.5, -1, 0.25], [0, 0, 0]]));
 * // row 0: multiplier 127 → [64 (63.5 rounds to even), −127, 32 (31.75)]; scale 1/127
 * // row 1: all zeros → [0, 0, 0] (the 1e-5 floor keeps it finite)
 * ```
 */
export function quantizeActivations(x: tf.Tensor): QuantizedActivations {
  assertFloat32Tensor('quantizeActivations', 'x', x);
  return tf.tidy(() => {
    const multiplier = quantizationMultiplier(x);
    const values = tf.cast(tf.clipByValue(tf.round(tf.mul(x, multiplier)), -128, 127), 'int32');
    return { values, scales: tf.div(1, multiplier) };
  });
}

/**
 * The training form of {@link quantizeActivations}: returns round-clip(x · m) / m with m = 127 / max(‖x‖∞,
 * 1e-5) per token, with an identity straight-through gradient — the `x + (quant(x) − x).detach()` of the
 * BitNet b1.58 code. The absmax scaling keeps x · m inside [−127, 127], so the clamp never cuts and
 * identity is also the clipped estimator here.
 *
 * @example
 * ```ts
 * const xq = fakeQuantizeActivations(tf.tensor2d([[0.5, -1, 0.25]])); // [[64/127, −1, 32/127]]
 * ```
 */
export function fakeQuantizeActivations(x: tf.Tensor): tf.Tensor {
  assertFloat32Tensor('fakeQuantizeActivations', 'x', x);
  const withSte = tf.customGrad((input) => {
    const xs = input as tf.Tensor;
    const multiplier = quantizationMultiplier(xs);
    const q = tf.clipByValue(tf.round(tf.mul(xs, multiplier)), -128, 127);
    return { value: tf.div(q, multiplier), gradFunc: (dy: tf.Tensor) => dy };
  });
  return tf.tidy(() => withSte(x));
}
