import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean cross-entropy of `logits [..., classes]` against integer `targets [...]`, skipping targets equal to
 * −1 (positions with nothing to predict, e.g. prompt tokens or padding); 0 when every target is skipped.
 * Per-row losses from `tf.losses.softmaxCrossEntropy` (a stable log-softmax). Cross-entropy training of language models:
 * Radford et al. 2018 / Vaswani et al. 2017, https://arxiv.org/abs/1706.03762.
 *
 * @example
 * ```ts
 * const loss = tokenCrossEntropy(logits, tf.tensor2d([[3, 1, -1]], undefined, 'int32')); // ignores the last position
 * ```
 */
export function tokenCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1]!;
    const flatLogits = tf.reshape(logits, [-1, classes]);
    const flatTargets = tf.reshape(tf.cast(targets, 'int32'), [-1]);
    const keep = tf.cast(tf.greaterEqual(flatTargets, 0), 'float32');
    const labels = tf.oneHot(tf.maximum(flatTargets, tf.zerosLike(flatTargets)), classes);
    const nll = tf.losses.softmaxCrossEntropy(labels, flatLogits, undefined, 0, tf.Reduction.NONE);
    // tfjs's SUM_BY_NONZERO_WEIGHTS divides 0 by 0 when every target is ignored: reduce here instead.
    return tf.div(tf.sum(tf.mul(nll, keep)), tf.maximum(tf.sum(keep), 1)) as tf.Scalar;
  });
}
