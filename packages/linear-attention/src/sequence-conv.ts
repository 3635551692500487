import * as tf from '@tensorflow/tfjs-core';

/**
 * A depthwise convolution along the sequence: `out[b, h, i, :] = Σ_t w[h, t] · x[b, h, i + t − r, :]` with
 * `r = (kernel − 1)/2` and zeros outside the sequence, one kernel per head shared over the feature axis (the
 * `Conv2d(heads, heads, (kernel, 1), groups=heads)` skip of Nyströmformer's code). Built from pad, slices
 * and multiply-adds so that its weight gradient works on every backend (tfjs-wasm has no depthwise-conv
 * filter gradient). Internal to the package.
 *
 * @example
 * ```ts
 * const skip = depthwiseSequenceConv(v, weights); // v: [1, 8, n, 64], weights: [8, 33]
 * ```
 */
export function depthwiseSequenceConv(x: tf.Tensor, weights: tf.Tensor): tf.Tensor4D {
  const [b, h, n, d] = x.shape as [number, number, number, number];
  const kernel = weights.shape[1]!;
  const r = (kernel - 1) / 2;
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [0, 0],
      [r, r],
      [0, 0],
    ]);
    // tfjs 4.22's Unpack gradient breaks for a single output, hence the reshape for kernel 1.
    const taps = kernel === 1 ? [tf.reshape(weights, [h])] : tf.unstack(tf.transpose(weights));
    let acc: tf.Tensor | undefined;
    taps.forEach((tap, t) => {
      const term = tf.mul(tf.slice(padded, [0, 0, t, 0], [b, h, n, d]), tf.reshape(tap, [1, h, 1, 1]));
      acc = acc === undefined ? term : tf.add(acc, term);
    });
    return acc as tf.Tensor4D;
  });
}
