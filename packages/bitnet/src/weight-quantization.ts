import { assertKnownOptions, InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { assertFloat32Tensor } from './tensor-arguments.js';

/** Weight precision: `1` = binary BitNet weights {−1, +1}, `1.58` = ternary BitNet b1.58 weights {−1, 0, +1}. */
export type WeightBits = 1 | 1.58;

/**
 * Straight-through estimator of a weight quantizer's gradient.
 * - `'identity'`: ∂Q/∂W = 1 everywhere: `W + stopGradient(Q(W) − W)`, the recipe of the BitNet papers'
 *   released training code.
 * - `'clipped'`: ∂Q/∂W = 1 inside the clip range and 0 outside, as BinaryConnect/BNN do
 *   (https://arxiv.org/abs/1602.02830): |W| ≤ s for ternary weights (the range round-clip maps W/s into),
 *   |W − α| ≤ β for binary weights (the same band in the binary quantizer's own units).
 */
export type WeightSte = 'identity' | 'clipped';

/** Options of {@link quantizeWeights}. */
export interface QuantizeWeightsOptions {
  /** `1` (BitNet) or `1.58` (BitNet b1.58). Default `1.58`. */
  bits?: WeightBits;
}

/** Options of {@link fakeQuantizeWeights}. */
export interface FakeQuantizeWeightsOptions extends QuantizeWeightsOptions {
  /** The straight-through estimator. Default `'identity'` (the papers' training code). */
  ste?: WeightSte;
}

/** Integer weights and their per-tensor scale: W ≈ `scale · values`. */
export interface QuantizedWeights {
  /** int32, same shape as W, in {−1, +1} (1 bit) or {−1, 0, +1} (1.58 bits). */
  values: tf.Tensor;
  /** float32 scalar: β = mean|W| (1 bit), or max(mean|W|, 1e-5) (1.58 bits). */
  scale: tf.Scalar;
}

/** Smallest weight scale of BitNet b1.58 (its `clamp_(min=1e-5)`), so all-zero weights give zeros, not NaN. */
export const TERNARY_SCALE_MIN = 1e-5;

const BITS = [1, 1.58] as const;
const STES = ['identity', 'clipped'] as const;

function resolveBits(fn: string, bits: unknown): WeightBits {
  const b = bits ?? 1.58;
  if (!BITS.includes(b as WeightBits)) throw new InvalidArgumentError(fn, 'options.bits', '1 or 1.58', b);
  return b as WeightBits;
}

/**
 * The quantizer in tfjs ops: integer values (as float32), the dequantising scale, and with `withBand` the
 * STE band (a 0/1 float32 mask of where the `'clipped'` estimator passes gradient).
 */
function quantize(
  w: tf.Tensor,
  bits: WeightBits,
  withBand = false,
): { values: tf.Tensor; scale: tf.Scalar; band: tf.Tensor | undefined } {
  const meanAbs = tf.mean(tf.abs(w)) as tf.Scalar;
  if (bits === 1) {
    // BitNet eq. 1–3: W̃ = Sign(W − α), α = mean(W), β = mean|W|, with Sign(x) = +1 for x > 0 and −1 for x ≤ 0.
    const centred = tf.sub(w, tf.mean(w));
    const values = tf.sub(tf.mul(tf.cast(tf.greater(centred, 0), 'float32'), 2), 1);
    const band = withBand ? tf.cast(tf.lessEqual(tf.abs(centred), meanAbs), 'float32') : undefined;
    return { values, scale: meanAbs, band };
  }
  // BitNet b1.58 eq. 1–3: W̃ = RoundClip(W / (γ + ε), −1, 1), γ = mean|W| (ε as a clamp, as in its code).
  const scale = tf.maximum(meanAbs, TERNARY_SCALE_MIN) as tf.Scalar;
  const ratio = tf.div(w, scale);
  const values = tf.clipByValue(tf.round(ratio), -1, 1);
  const band = withBand ? tf.cast(tf.lessEqual(tf.abs(ratio), 1), 'float32') : undefined;
  return { values, scale, band };
}

/**
 * Quantizes weights to binary (BitNet, Wang et al. 2023, https://arxiv.org/abs/2310.11453, eq. 1–3:
 * sign(W − mean W), scale β = mean|W|) or ternary values (BitNet b1.58, Ma et al. 2024,
 * https://arxiv.org/abs/2402.17764, eq. 1–3: round-clip(W / max(mean|W|, 1e-5), −1, 1), same scale).
 * `tf.round` rounds half to even, as `torch.round` does in the papers' code.
 *
 * For inference and packing: the result carries no gradient (see {@link fakeQuantizeWeights} for training).
 * Throws on non-finite weights (this reads the weights back once).
 *
 * @example
 * ```ts
 * const { values, scale } = quantizeWeights(tf.tensor2d([[0.4, -0.1], [-0.9, 0.3]]));
 * // mean|W| = 0.425; W / 0.425 ≈ [[0.94, −0.24], [−2.12, 0.71]] → values [[1, 0], [−1, 1]], scale 0.425
 * ```
 */
export function quantizeWeights(weight: tf.Tensor, options: QuantizeWeightsOptions = {}): QuantizedWeights {
  const fn = 'quantizeWeights';
  assertFloat32Tensor(fn, 'weight', weight);
  assertKnownOptions(fn, options, ['bits']);
  const bits = resolveBits(fn, options.bits);
  return tf.tidy(() => {
    const finite = tf.all(tf.isFinite(weight)).dataSync()[0];
    if (finite !== 1) {
      throw new InvalidArgumentError(fn, 'weight', 'finite values (no NaN or ±Infinity)', weight);
    }
    const { values, scale } = quantize(weight, bits);
    return { values: tf.cast(values, 'int32'), scale };
  });
}

/**
 * The training form of {@link quantizeWeights}: returns the dequantised weights `scale · values` (float32,
 * same shape as W) with a straight-through-estimator gradient (`ste`), so latent float weights train
 * (BitNet §2, https://arxiv.org/abs/2310.11453; BitNet b1.58, https://arxiv.org/abs/2402.17764). The scale
 * is treated as a constant in the backward pass, as in the papers' `detach()` code. Non-finite weights
 * propagate (no read-back in the training path).
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.randomNormal([64, 32], 0, 0.02, 'float32', 1));
 * const { grads } = tf.variableGrads(() => tf.sum(tf.matMul(x, fakeQuantizeWeights(w))));
 * ```
 */
export function fakeQuantizeWeights(weight: tf.Tensor, options: FakeQuantizeWeightsOptions = {}): tf.Tensor {
  const fn = 'fakeQuantizeWeights';
  assertFloat32Tensor(fn, 'weight', weight);
  assertKnownOptions(fn, options, ['bits', 'ste']);
  const bits = resolveBits(fn, options.bits);
  const ste = options.ste ?? 'identity';
  if (!STES.includes(ste)) throw new InvalidArgumentError(fn, 'options.ste', '"identity" or "clipped"', ste);
  const withSte = tf.customGrad((w, save) => {
    const { values, scale, band } = quantize(w as tf.Tensor, bits, ste === 'clipped');
    if (band !== undefined) (save as tf.GradSaveFunc)([band]);
    return {
      value: tf.mul(values, scale),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => (ste === 'clipped' ? tf.mul(dy, saved[0]!) : dy),
    };
  });
  return tf.tidy(() => withSte(weight));
}
