import * as tf from '@tensorflow/tfjs-core';

/**
 * Repeats each kv head `group` times along axis 1 (`[b, kvHeads, n, d]` → `[b, kvHeads·group, n, d]`), so
 * that grouped-query inputs can use code written for equal head counts. Differentiable (tile sums back): the
 * tile is rank 3 (`[b·kvHeads, 1, n·d]` → `[b·kvHeads, group, n·d]`) because tfjs's tile gradient stops at
 * rank 4. Internal to the package.
 *
 * @example
 * ```ts
 * const k8 = repeatKvHeads(k2, 4); // [1, 2, n, d] → [1, 8, n, d]: kv head j serves q heads 4j … 4j + 3
 * ```
 */
export function repeatKvHeads(x: tf.Tensor, group: number): tf.Tensor {
  if (group === 1) return x;
  const [b, kh, n, d] = x.shape as [number, number, number, number];
  return tf.reshape(tf.tile(tf.reshape(x, [b * kh, 1, n * d]), [1, group, 1]), [b, kh * group, n, d]);
}
