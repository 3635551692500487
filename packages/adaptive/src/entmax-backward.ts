import * as tf from '@tensorflow/tfjs-core';

/**
 * The vector–Jacobian product every member of the entmax family shares (Peters et al. 2019, "Sparse
 * Sequence-to-Sequence Models", Prop. 2, https://arxiv.org/abs/1905.05702): with `g = p^(2−α)` on the
 * support of `p` and 0 elsewhere, the Jacobian is `diag(g) − g gᵀ / Σg`, so
 * `dz = g ⊙ dy − g · (Σ g ⊙ dy) / Σg` along the last axis. Sparsemax (α = 2) has `g = 1[p > 0]`, which gives
 * Martins & Astudillo's `diag(s) − s sᵀ / |S|`; 1.5-entmax has `g = √p`.
 */
export function entmaxBackward(dy: tf.Tensor, g: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const gdy = tf.mul(g, dy);
    // Σg > 0: every row has a non-empty support.
    const q = tf.div(tf.sum(gdy, -1, true), tf.sum(g, -1, true));
    return tf.sub(gdy, tf.mul(g, q));
  });
}
