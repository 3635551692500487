import { type Tensor, tensor } from '@tensorflow/tfjs-core';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { InvalidArgumentError } from './errors.js';

/**
 * A seeded random source, identical across runs and platforms (xoroshiro128+ from `pure-rand`). Every random
 * thing in the toolkit — random masks, FAVOR+ features, LSH rotations, initialisation — takes a seed and
 * draws from one of these.
 *
 * @example
 * ```ts
 * const rng = createRandom(42);
 * rng.uniform(); // a number in [0, 1), the same on every machine
 * ```
 */
export interface RandomSource {
  /** A float in [0, 1). */
  uniform(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A standard normal sample (Box–Muller). */
  normal(): number;
  /** Fills a new Float32Array with normal samples scaled by `std`. */
  normalArray(length: number, std?: number): Float32Array;
  /** Fills a new Float32Array with uniform samples in [lo, hi). */
  uniformArray(length: number, lo?: number, hi?: number): Float32Array;
  /** `k` distinct integers from [0, n), in random order (partial Fisher–Yates). */
  sample(n: number, k: number): number[];
}

/** Creates a {@link RandomSource} from an integer seed.  *
 * @example
 * ```ts
 * const rng = createRandom(7);
 * const picks = rng.sample(100, 5); // 5 distinct indices, the same on every machine
 * ```
 */
export function createRandom(seed: number): RandomSource {
  if (!Number.isInteger(seed)) throw new InvalidArgumentError('createRandom', 'seed', 'an integer', seed);
  const gen = xoroshiro128plus(seed | 0);
  let spare: number | undefined;
  const uniform = () => uniformFloat64(gen);
  const normal = () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    uniform,
    int: (n) => Math.floor(uniform() * n),
    normal,
    normalArray(length, std = 1) {
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++) out[i] = normal() * std;
      return out;
    },
    uniformArray(length, lo = 0, hi = 1) {
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * uniform();
      return out;
    },
    sample(n, k) {
      if (k > n) throw new InvalidArgumentError('RandomSource.sample', 'k', `at most n = ${n}`, k);
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(uniform() * (n - i));
        const t = pool[i]!;
        pool[i] = pool[j]!;
        pool[j] = t;
      }
      return pool.slice(0, k);
    },
  };
}

/**
 * Mixes integers into one 32-bit seed (a splitmix-style hash), so that per-(seed, b, h, row) random choices
 * are pure functions of their coordinates.
 *
 * @example
 * ```ts
 * const rowSeed = hashSeed(seed, b, h, q); // a seed that is a pure function of the row
 * ```
 */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9 | 0;
  for (const p of parts) {
    h ^= p | 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h | 0;
}

/** A float32 tensor of normal samples with a seed, e.g. for weight initialisation.  *
 * @example
 * ```ts
 * const w = seededNormal([64, 64], 1, 0.02); // init weights, reproducible
 * ```
 */
export function seededNormal(shape: number[], seed: number, std = 1): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tensor(createRandom(seed).normalArray(size, std), shape, 'float32');
}
