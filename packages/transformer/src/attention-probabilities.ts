import type { MechanismApplyOptions, MechanismInstance } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The attention probabilities `A [batch, heads, qLen, kvLen]` a mechanism applies, read off by linearity:
 * every mechanism here computes `A(q, k)·V`, so applying it to the columns of the identity as values gives
 * the columns of A. Values are fed `headDim` columns at a time (zero-padded), so mechanisms that need
 * `valueDim = headDim` work too. Exact for exact mechanisms; for approximate ones (Performer, Nyström,
 * Linformer, LSH) it is the matrix their output is actually mixed with. Cost: ⌈kvLen / headDim⌉ calls.
 * Attention as a matrix: Vaswani et al. 2017, https://arxiv.org/abs/1706.03762.
 *
 * @example
 * ```ts
 * const p = attentionProbabilities(instance, q, k, { causal: true }); // rows sum to 1
 * ```
 */
export function attentionProbabilities(
  instance: MechanismInstance,
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  options: MechanismApplyOptions,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, kvHeads, kvLen, width] = k.shape;
    const identity = tf.eye(kvLen);
    const chunks: tf.Tensor[] = [];
    for (let start = 0; start < kvLen; start += width) {
      const cols = Math.min(width, kvLen - start);
      let block = tf.slice(identity, [0, start], [kvLen, cols]);
      if (cols < width)
        block = tf.pad(block, [
          [0, 0],
          [0, width - cols],
        ]);
      const v = tf.tile(tf.reshape(block, [1, 1, kvLen, width]), [batch, kvHeads, 1, 1]);
      const out = instance.apply(q, k, v, options);
      chunks.push(cols < width ? tf.slice(out, [0, 0, 0, 0], [-1, -1, -1, cols]) : out);
    }
    return (chunks.length === 1 ? chunks[0]! : tf.concat(chunks, 3)) as tf.Tensor4D;
  });
}
