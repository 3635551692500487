import type * as tf from '@tensorflow/tfjs-core';

/** Values read per tensor buffer: `tf.Variable.assign` (what optimizers call) swaps the buffer, so a new read follows. */
const snapshots = new WeakMap<object, Float32Array>();

/**
 * The current values of a variable as a Float32Array, read synchronously once per buffer and reused until
 * the variable is assigned. The scalar forms of score modifiers call this per score, so it must be cheap.
 */
export function variableValues(variable: tf.Variable): Float32Array {
  const key = variable.dataId as object;
  let values = snapshots.get(key);
  if (values === undefined) {
    values = Float32Array.from(variable.dataSync() as Float32Array);
    snapshots.set(key, values);
  }
  return values;
}
