import * as tf from '@tensorflow/tfjs-core';
import { favorFeatures } from './favor-features.js';
import { type FeatureMap, featureCount } from './feature-maps.js';

/**
 * A feature map bound to a head dimension: its feature count and, for FAVOR+, the drawn projection. Built
 * once (drawing W costs O(m·d²) in JS) and reused by every call of a mechanism or a recurrent state.
 */
export interface PreparedFeatureMap {
  readonly map: FeatureMap;
  readonly headDim: number;
  readonly numFeatures: number;
  /** FAVOR+ only: `d^(−1/4)·Wᵀ`, `[d, m]` row-major, so that `x · projection = W x̃`. */
  readonly projection?: Float32Array;
}

/**
 * Binds `map` to `headDim` (draws FAVOR+'s W). Internal to the package.
 *
 * @example
 * ```ts
 * const prepared = prepareFeatureMap(favorPlus({ seed: 3 }), 64); // prepared.numFeatures === 267
 * ```
 */
export function prepareFeatureMap(map: FeatureMap, headDim: number): PreparedFeatureMap {
  const numFeatures = featureCount(map, headDim);
  if (map.kind !== 'favor-plus') return Object.freeze({ map, headDim, numFeatures });
  const w = favorFeatures(headDim, map);
  const scale = headDim ** -0.25;
  const projection = new Float32Array(headDim * numFeatures);
  for (let f = 0; f < numFeatures; f++) {
    for (let t = 0; t < headDim; t++) projection[t * numFeatures + f] = w[f * headDim + t]! * scale;
  }
  return Object.freeze({ map, headDim, numFeatures, projection });
}

/** The projection as a tensor (create it inside the caller's `tf.tidy`); undefined for elu+1 and ReLU. */
export function projectionTensor(p: PreparedFeatureMap): tf.Tensor2D | undefined {
  return p.projection === undefined ? undefined : tf.tensor2d(p.projection, [p.headDim, p.numFeatures]);
}

/** `W x̃` for rows `[g, r, d]` → `[g, r, m]` as one 2-D matMul (the XNNPACK path on wasm). */
function project(x: tf.Tensor3D, projection: tf.Tensor2D): tf.Tensor3D {
  const [g, r, d] = x.shape;
  return tf.reshape(tf.matMul(tf.reshape(x, [g * r, d]), projection), [g, r, projection.shape[1]]);
}

/**
 * FAVOR+'s exponent `u = W x̃ − ‖x̃‖²/2` for rows `[g, r, d]` → `[g, r, m]` (`φ(x) = exp(u)/√m`).
 */
export function favorExponent(x: tf.Tensor3D, projection: tf.Tensor2D, headDim: number): tf.Tensor3D {
  const halfNorm = tf.mul(tf.sum(tf.square(x), -1, true), 0.5 / Math.sqrt(headDim));
  return tf.sub(project(x, projection), halfNorm);
}

/**
 * φ(q) for query rows `[g, r, d]` → `[g, r, F]`. Stabilised FAVOR+ uses `softmax(W x̃)` over the features:
 * `exp(u)` times a positive per-row constant (the row max and `‖x̃‖²` both cancel in num/den).
 */
export function queryFeatures(p: PreparedFeatureMap, x: tf.Tensor3D, projection?: tf.Tensor2D): tf.Tensor3D {
  switch (p.map.kind) {
    case 'elu-plus-one':
      return tf.add(tf.elu(x), 1);
    case 'relu':
      return tf.relu(x);
    case 'favor-plus':
      if (p.map.stabilize) return tf.softmax(project(x, projection!));
      return tf.mul(tf.exp(favorExponent(x, projection!, p.headDim)), 1 / Math.sqrt(p.numFeatures));
  }
}

/**
 * φ(k) for key rows `[g, r, d]` → `[g, r, F]`, one group per head. Stabilised FAVOR+ subtracts one constant
 * per group (it cancels in num/den): `shift` (`[g, 1, 1]`) when given, else the group's max exponent, so that
 * the largest feature is exactly 1 (the paper's code subtracts the max over keys and features as well).
 */
export function keyFeatures(
  p: PreparedFeatureMap,
  x: tf.Tensor3D,
  projection?: tf.Tensor2D,
  shift?: tf.Tensor,
): tf.Tensor3D {
  if (p.map.kind !== 'favor-plus') return queryFeatures(p, x);
  const u = favorExponent(x, projection!, p.headDim);
  if (!p.map.stabilize) return tf.mul(tf.exp(u), 1 / Math.sqrt(p.numFeatures));
  return tf.exp(tf.sub(u, shift ?? tf.max(u, [1, 2], true)));
}

/**
 * φ(k)ᵀ for transposed keys `[d, r]` → `[F, r]`, without transposing `[r, F]` features: elu+1 and ReLU act
 * elementwise, and FAVOR+'s `W x̃` is `projectionᵀ · kᵀ`. Stabilised FAVOR+ returns `exp(u − c)` and the
 * shift `c = max(u)` (a scalar) so that blocks of one head can be merged exactly.
 */
export function keyFeaturesTransposed(
  p: PreparedFeatureMap,
  xT: tf.Tensor2D,
  projection?: tf.Tensor2D,
): { features: tf.Tensor2D; shift?: tf.Scalar } {
  switch (p.map.kind) {
    case 'elu-plus-one':
      return { features: tf.add(tf.elu(xT), 1) };
    case 'relu':
      return { features: tf.relu(xT) };
    case 'favor-plus': {
      const halfNorm = tf.mul(tf.sum(tf.square(xT), 0, true), 0.5 / Math.sqrt(p.headDim));
      const u = tf.sub(tf.matMul(tf.transpose(projection!), xT), halfNorm);
      if (!p.map.stabilize) return { features: tf.mul(tf.exp(u), 1 / Math.sqrt(p.numFeatures)) };
      const shift = tf.max(u) as tf.Scalar;
      return { features: tf.exp(tf.sub(u, shift)), shift };
    }
  }
}
