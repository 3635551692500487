import * as tf from '@tensorflow/tfjs-core';
import { entmaxBackward } from './entmax-backward.js';
import { assertNormalizerInput, shiftToRowMax } from './normalizer-input.js';

const FN = 'sparsemax';

/**
 * Sparsemax along the last axis (Martins & Astudillo 2016, "From Softmax to Sparsemax",
 * https://arxiv.org/abs/1602.02068): the Euclidean projection of each row onto the probability simplex,
 * `p = [z − τ]₊` with the threshold `τ` chosen so that `Σp = 1`. Rows sum to 1 and entries below `τ` are
 * exactly zero — a drop-in replacement for `tf.softmax` that gives sparse attention weights.
 *
 * Forward: the exact sort-based threshold, `τ = max_k (Σ_{i≤k} z₍ᵢ₎ − 1) / k` over the sorted row
 * (`z₍₁₎ ≥ z₍₂₎ ≥ …`; the maximum is reached at the support size), O(n log n) per row. Backward: the exact
 * Jacobian `diag(s) − s sᵀ / |S|` with `s` the support indicator (a `tf.customGrad`). Entries of `−∞` (or
 * `−1e30`, core's mask fill) get 0; a row of only `−∞` becomes uniform. Inputs must be finite or `−∞`.
 *
 * @param logits float32 tensor of any rank ≥ 1; normalised along the last axis.
 * @returns a tensor of the same shape, each row on the simplex.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { sparsemax } from '@efficient-attention/adaptive';
 * sparsemax(tf.tensor1d([1, 0.8, -1])).print(); // [0.6, 0.4, 0]
 * ```
 */
export function sparsemax(logits: tf.Tensor): tf.Tensor {
  assertNormalizerInput(FN, 'logits', logits);
  const n = logits.shape[logits.rank - 1]!;
  const run = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const p = tf.tidy(() => {
      // Entries more than 1 below the row maximum are never in the support (α = 2: 1/(α−1) = 1).
      const z = shiftToRowMax(x as tf.Tensor, 2);
      const sorted = tf.topk(z, n).values;
      const cumulative = tf.cumsum(sorted, z.rank - 1);
      const k = tf.range(1, n + 1, 1, 'float32');
      const tau = tf.max(tf.div(tf.sub(cumulative, 1), k), -1, true);
      return tf.relu(tf.sub(z, tau));
    });
    (save as tf.GradSaveFunc)([p]);
    return {
      value: p,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => entmaxBackward(dy, tf.cast(tf.greater(saved[0]!, 0), 'float32'))),
    };
  });
  return run(logits);
}
