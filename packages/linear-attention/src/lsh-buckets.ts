import { createRandom, hashSeed, InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The random rotations of angular LSH for `numHashes` rounds: per round a `headDim × numBuckets/2` Gaussian
 * matrix R (row-major), drawn from `createRandom(hashSeed(seed, round))` (Kitaev et al. 2020, "Reformer",
 * https://arxiv.org/abs/2001.04451, section 2, after Andoni et al. 2015). Empty for one bucket.
 *
 * @example
 * ```ts
 * const rotations = lshRotations(64, 8, 4, 0); // 4 matrices 64 × 4
 * ```
 */
export function lshRotations(
  headDim: number,
  numBuckets: number,
  numHashes: number,
  seed: number,
): Float32Array[] {
  if (numBuckets !== 1 && (!Number.isInteger(numBuckets) || numBuckets < 2 || numBuckets % 2 !== 0)) {
    throw new InvalidArgumentError('lshRotations', 'numBuckets', '1 or an even integer ≥ 2', numBuckets);
  }
  return Array.from({ length: numHashes }, (_, round) =>
    numBuckets === 1
      ? new Float32Array(0)
      : createRandom(hashSeed(seed, round)).normalArray((headDim * numBuckets) / 2),
  );
}

/**
 * Angular LSH buckets of the rows of `x` (`[rows, headDim]`): `argmax([xR ; −xR])` ∈ [0, numBuckets)
 * (Reformer, https://arxiv.org/abs/2001.04451, eq. 3). Vectors at a small angle share a bucket with high
 * probability; the bucket depends only on the direction of x. Read back to JS (hashing has no gradient).
 *
 * @example
 * ```ts
 * const buckets = lshBuckets(rows, rotations[0], 8); // Int32Array(rows)
 * ```
 */
export function lshBuckets(x: tf.Tensor2D, rotation: Float32Array, numBuckets: number): Int32Array {
  if (numBuckets === 1) return new Int32Array(x.shape[0]);
  const d = x.shape[1];
  return tf.tidy(() => {
    const xr = tf.matMul(x, tf.tensor2d(rotation, [d, numBuckets / 2]));
    return tf.argMax(tf.concat([xr, tf.neg(xr)], 1), 1).dataSync() as Int32Array;
  });
}

/**
 * Positions `0…n−1` sorted by (bucket, position) with a counting sort (stable, O(n + buckets)): the order in
 * which Reformer chunks a sequence (https://arxiv.org/abs/2001.04451, section 2, "sort by bucket").
 *
 * @example
 * ```ts
 * sortByBucket(Int32Array.from([1, 0, 1, 0]), 2); // [1, 3, 0, 2]
 * ```
 */
export function sortByBucket(buckets: Int32Array, numBuckets: number): Int32Array {
  const counts = new Int32Array(numBuckets + 1);
  for (const b of buckets) counts[b + 1]!++;
  for (let b = 0; b < numBuckets; b++) counts[b + 1]! += counts[b]!;
  const out = new Int32Array(buckets.length);
  buckets.forEach((b, pos) => {
    out[counts[b]!++] = pos;
  });
  return out;
}
