import * as tf from '@tensorflow/tfjs-core';

/**
 * `out[i] = x[perm[i]]` for a permutation `perm` of the rows of a 2-D tensor (gather forward; the gradient is
 * the inverse permutation of `dy`, so no `UnsortedSegmentSum` is needed).
 *
 * @example
 * ```ts
 * const sorted = permuteRows(rows, Int32Array.from([2, 0, 1])); // rows 2, 0, 1
 * ```
 */
export function permuteRows(x: tf.Tensor2D, perm: Int32Array): tf.Tensor2D {
  const inverse = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) inverse[perm[i]!] = i;
  const permute = tf.customGrad((input) => ({
    value: tf.tidy(() => tf.gather(input as tf.Tensor2D, tf.tensor1d(perm, 'int32'))),
    gradFunc: (dy) => tf.tidy(() => tf.gather(dy, tf.tensor1d(inverse, 'int32'))),
  }));
  return permute(x) as tf.Tensor2D;
}
