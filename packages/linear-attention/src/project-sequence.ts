import * as tf from '@tensorflow/tfjs-core';

/**
 * Applies one `[r, n]` matrix along the sequence axis of `[batch, heads, n, d]` for every batch and head:
 * `out[b, h] = e · x[b, h]` → `[batch, heads, r, d]`, as a single 2-D matMul (`e · [n, batch·heads·d]`), the
 * XNNPACK path on tfjs-wasm. Linformer's shared projections and Nyström's segment means both use it.
 * Internal to the package.
 *
 * @example
 * ```ts
 * const kProjected = projectSequence(e, k); // e: [256, n], k: [1, 8, n, 64] → [1, 8, 256, 64]
 * ```
 */
export function projectSequence(e: tf.Tensor2D, x: tf.Tensor): tf.Tensor4D {
  const [b, h, n, d] = x.shape as [number, number, number, number];
  const r = e.shape[0];
  return tf.tidy(() => {
    const columns = tf.reshape(tf.transpose(x, [2, 0, 1, 3]), [n, b * h * d]);
    return tf.transpose(tf.reshape(tf.matMul(e, columns), [r, b, h, d]), [1, 2, 0, 3]) as tf.Tensor4D;
  });
}
