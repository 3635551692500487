import { assertLiveTensor, InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

/** Throws unless `x` is a float32 tensor of rank ≥ 1 whose last axis is not empty. */
export function assertNormalizerInput(fn: string, parameter: string, x: unknown): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(fn, parameter, 'a float32 tf.Tensor', x);
  assertLiveTensor(fn, parameter, x);
  if (x.dtype !== 'float32') throw new InvalidArgumentError(fn, `${parameter}.dtype`, '"float32"', x.dtype);
  if (x.rank < 1 || x.shape[x.rank - 1]! < 1) {
    throw new InvalidArgumentError(fn, `${parameter}.shape`, 'rank ≥ 1 with a non-empty last axis', x.shape);
  }
}

/**
 * `x − max(x)` along the last axis, floored at `−floor`. Sparsemax and entmax are invariant to adding a
 * constant per row, and an entry more than `1 / (α − 1)` below the row maximum is outside the support
 * whatever the others are, so flooring at `−2 / (α − 1)` changes no output while keeping the sort-based
 * cumulative sums and the bisection in a small float32 range: masked scores (`−1e30`, `−∞`) stay finite.
 * A row whose maximum is `−∞` (every entry `−∞`) becomes all `−floor` (uniform), never NaN.
 */
export function shiftToRowMax(x: tf.Tensor, floor: number | tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const max = tf.max(x, -1, true);
    const finiteMax = tf.where(tf.isFinite(max), max, tf.zerosLike(max));
    return tf.maximum(tf.sub(x, finiteMax), tf.neg(floor));
  });
}
