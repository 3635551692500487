import { createRandom, hashSeed, InvalidArgumentError } from '@efficient-attention/core';
import { type FavorPlusFeatureMap, featureCount } from './feature-maps.js';

/** Modified Gram–Schmidt on the rows of a `d×d` block (float64, in place): returns orthonormal rows. */
function orthonormalRows(block: Float64Array, d: number): Float64Array {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += block[i * d + t]! * block[j * d + t]!;
      for (let t = 0; t < d; t++) block[i * d + t]! -= dot * block[j * d + t]!;
    }
    let norm = 0;
    for (let t = 0; t < d; t++) norm += block[i * d + t]! ** 2;
    norm = Math.sqrt(norm);
    // A Gaussian block is full rank with probability 1; a zero norm would mean a broken random source.
    if (!(norm > 0)) throw new Error('favorFeatures: a Gaussian block was rank-deficient.');
    for (let t = 0; t < d; t++) block[i * d + t]! /= norm;
  }
  return block;
}

/**
 * The random matrix W (`m × d`, row-major float32) of a FAVOR+ feature map for head dimension `headDim`,
 * drawn from core's seeded `createRandom(hashSeed(seed, redraw))` (Choromanski et al. 2020,
 * https://arxiv.org/abs/2009.14794, section 2.4 and the paper's `create_projection_matrix`):
 *
 * - orthogonal: ⌈m/d⌉ Gaussian `d×d` blocks orthonormalised by Gram–Schmidt (the rows of each block are
 *   exactly orthogonal; the last block is cut to the remaining rows), then each row scaled by the norm of a
 *   fresh d-dimensional Gaussian vector, i.e. a chi(d) draw, so that rows are marginally Gaussian;
 * - otherwise: i.i.d. standard normal entries.
 *
 * @example
 * ```ts
 * const w = favorFeatures(64, favorPlus({ numFeatures: 256, seed: 1 })); // Float32Array(256 * 64)
 * ```
 */
export function favorFeatures(headDim: number, map: FavorPlusFeatureMap): Float32Array {
  if (!Number.isInteger(headDim) || headDim < 1) {
    throw new InvalidArgumentError('favorFeatures', 'headDim', 'an integer ≥ 1', headDim);
  }
  const d = headDim;
  const m = featureCount(map, d);
  const rng = createRandom(hashSeed(map.seed, map.redraw));
  const w = new Float32Array(m * d);
  if (!map.orthogonal) {
    for (let i = 0; i < m * d; i++) w[i] = rng.normal();
    return w;
  }
  for (let row0 = 0; row0 < m; row0 += d) {
    const block = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) block[i] = rng.normal();
    orthonormalRows(block, d);
    const rows = Math.min(d, m - row0);
    for (let i = 0; i < rows; i++) {
      let chi = 0;
      for (let t = 0; t < d; t++) chi += rng.normal() ** 2;
      chi = Math.sqrt(chi);
      for (let t = 0; t < d; t++) w[(row0 + i) * d + t] = block[i * d + t]! * chi;
    }
  }
  return w;
}
