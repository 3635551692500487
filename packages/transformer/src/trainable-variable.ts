import * as tf from '@tensorflow/tfjs-core';

/**
 * A trainable `tf.Variable` holding `init()`'s value; the initial tensor is disposed (a variable shares
 * its data, so keeping the initial tensor would leak one tensor per variable).
 *
 * @example
 * ```ts
 * const gain = trainableVariable(() => tf.ones([16]));
 * ```
 */
export function trainableVariable(init: () => tf.Tensor): tf.Variable {
  const initial = tf.tidy(init);
  const v = tf.variable(initial, true);
  initial.dispose();
  return v;
}
