/** The pinned tfjs-ops baseline of the attention benchmarks, in Node and in the browser bench pages. */
import * as tf from '@tensorflow/tfjs-core';

/** The best tfjs-ops path of TFJS-PERF.md: per head, 2-D matMuls (XNNPACK) with an explicit transpose. */
export function perHeadAttention(
  { q, k, v }: { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor },
  scale: number,
): tf.Tensor {
  return tf.tidy(() => {
    const [, h, n, d] = q.shape as [number, number, number, number];
    const qs = tf.unstack(tf.reshape(tf.mul(q, scale), [h, n, d]));
    const ks = tf.unstack(tf.reshape(k, [h, n, d]));
    const vs = tf.unstack(tf.reshape(v, [h, n, d]));
    const outs = qs.map((qh, i) =>
      tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(qh, tf.transpose(ks[i]!))), vs[i]!)),
    );
    return tf.reshape(tf.stack(outs), [1, h, n, d]);
  });
}
