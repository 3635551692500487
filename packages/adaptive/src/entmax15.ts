import * as tf from '@tensorflow/tfjs-core';
import { entmaxBackward } from './entmax-backward.js';
import { assertNormalizerInput, shiftToRowMax } from './normalizer-input.js';

const FN = 'entmax15';

/**
 * 1.5-entmax along the last axis (Peters, Niculae & Martins 2019, "Sparse Sequence-to-Sequence Models",
 * https://arxiv.org/abs/1905.05702): `p = [z/2 − τ]₊²` with `τ` such that `Σp = 1` — between softmax
 * (α = 1) and sparsemax (α = 2): smooth on its support, exactly zero off it.
 *
 * Forward: the exact sort-based threshold of the paper's Algorithm 2: for the sorted halves
 * `x₍₁₎ ≥ x₍₂₎ ≥ …`, `τ_k = mean_k − √max(0, (1 − k·var_k) / k)` with the mean and (biased) variance of
 * the top k, and the support size is `#{k : τ_k ≤ x₍ₖ₎}`. Backward: the exact Jacobian
 * `diag(g) − g gᵀ / Σg` with `g = √p` (a `tf.customGrad`). Entries of `−∞` (or core's `−1e30` mask fill)
 * get 0; a row of only `−∞` becomes uniform. Inputs must be finite or `−∞`.
 *
 * @param logits float32 tensor of any rank ≥ 1; normalised along the last axis.
 * @returns a tensor of the same shape, each row on the simplex.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { entmax15 } from '@efficient-attention/adaptive';
 * entmax15(tf.tensor1d([2, 1, -2])).print(); // [≈0.831, ≈0.169, 0]
 * ```
 */
export function entmax15(logits: tf.Tensor): tf.Tensor {
  assertNormalizerInput(FN, 'logits', logits);
  const n = logits.shape[logits.rank - 1]!;
  const run = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const p = tf.tidy(() => {
      // α = 1.5: entries 1/(α−1) = 2 below the maximum are out of the support; floor at 4, then halve.
      const half = tf.div(shiftToRowMax(x as tf.Tensor, 4), 2);
      const sorted = tf.topk(half, n).values;
      const axis = half.rank - 1;
      const k = tf.range(1, n + 1, 1, 'float32');
      const mean = tf.div(tf.cumsum(sorted, axis), k);
      const meanSquare = tf.div(tf.cumsum(tf.square(sorted), axis), k);
      const spread = tf.mul(k, tf.sub(meanSquare, tf.square(mean)));
      const delta = tf.relu(tf.div(tf.sub(1, spread), k));
      const tau = tf.sub(mean, tf.sqrt(delta));
      // k = 1 always qualifies (τ₁ = x₍₁₎ − 1), so the support size is ≥ 1.
      const support = tf.sum(tf.cast(tf.lessEqual(tau, sorted), 'float32'), -1, true);
      const tauStar = tf.sum(tf.where(tf.equal(k, support), tau, tf.zerosLike(tau)), -1, true);
      return tf.square(tf.relu(tf.sub(half, tauStar)));
    });
    (save as tf.GradSaveFunc)([p]);
    return {
      value: p,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => entmaxBackward(dy, tf.sqrt(saved[0]!))),
    };
  });
  return run(logits);
}
