import {
  assertKnownOptions,
  assertNumber,
  IncompatibleOptionsError,
  InvalidArgumentError,
} from '@efficient-attention/core';
import { BLOCK_NONE, BLOCK_PARTIAL } from '../block-enumerator.js';
import { lowerBound } from '../lower-bound.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import { seededSample } from './seeded-sample.js';

/** Options of {@link randomPattern}: exactly one of `perRow` and `density`. */
export interface RandomPatternOptions {
  /** Length of the key sequence the keys are drawn from (the pattern is defined for it only). */
  kvLen: number;
  /** Exactly this many distinct random keys per query row (an integer in [0, kvLen]). */
  perRow?: number;
  /** Fraction of keys per query row, in [0, 1]: `round(density · kvLen)` keys per row. */
  density?: number;
  /** Seed of the draw. Default 0. */
  seed?: number;
  /** Draw separately for each head (the mask then depends on `h`). Default false: one draw for all heads. */
  perHead?: boolean;
}

const FN = 'randomPattern';

/**
 * Random attention: each query row `q` attends a seeded random set of `perRow` distinct keys from
 * `[0, kvLen)` (or `round(density · kvLen)` keys). The set is a pure function of `(seed, h, q)` — drawn
 * with Floyd's algorithm on `hashSeed(seed, h, q, j)` (see `seededSample`), identical across runs and
 * platforms — and cached per row once drawn. It never depends on the batch index; on the head only with `perHead`.
 *
 * ```
 * randomPattern({ kvLen: 8, perRow: 2 })   (one possible draw: 2 keys per row)
 * q0 ·█····█·
 * q1 █····█··
 * q2 ···█···█
 * ```
 *
 * Random keys scatter over every key block, so a block mask of this pattern alone is nearly dense at
 * block granularity; {@link bigBird} draws random *blocks* instead. Zaheer et al. 2020 (BigBird),
 * https://arxiv.org/abs/2007.14062.
 *
 * @example
 * ```ts
 * const rand = randomPattern({ kvLen: 1024, perRow: 8, seed: 7 });
 * createMask(rand, 1024, 1024); // exactly 8 allowed keys in every row
 * ```
 */
export function randomPattern(options: RandomPatternOptions): MaskPattern {
  assertKnownOptions(FN, options, ['kvLen', 'perRow', 'density', 'seed', 'perHead']);
  const { kvLen, perRow, density, seed = 0, perHead = false } = options ?? ({} as RandomPatternOptions);
  assertNumber(FN, 'options.kvLen', kvLen, { integer: true, min: 1 });
  assertNumber(FN, 'options.seed', seed, { integer: true });
  if (typeof perHead !== 'boolean')
    throw new InvalidArgumentError(FN, 'options.perHead', 'a boolean', perHead);
  if ((perRow === undefined) === (density === undefined)) {
    throw new IncompatibleOptionsError(
      FN,
      'give exactly one of `perRow` (keys per row) and `density` (fraction).',
    );
  }
  let count: number;
  if (perRow !== undefined) {
    assertNumber(FN, 'options.perRow', perRow, { integer: true, min: 0, max: kvLen });
    count = perRow;
  } else {
    assertNumber(FN, 'options.density', density, { min: 0, max: 1 });
    count = Math.round(density! * kvLen);
  }
  // Drawn rows, per head: an array for rows ≥ 0 (the hot path of block building), a map for negative rows
  // (offset masks may ask for them).
  const rows = new Map<number, { at: Array<Int32Array | undefined>; negative: Map<number, Int32Array> }>();
  /** The sorted keys of row q of head h (h = 0 unless perHead). */
  const keysOf = (h: number, q: number): Int32Array => {
    let head = rows.get(h);
    if (head === undefined) {
      head = { at: [], negative: new Map() };
      rows.set(h, head);
    }
    let keys = q >= 0 ? head.at[q] : head.negative.get(q);
    if (keys === undefined) {
      keys = seededSample(kvLen, count, seed, h, q);
      if (q >= 0) head.at[q] = keys;
      else head.negative.set(q, keys);
    }
    return keys;
  };
  const allowed = (h: number, q: number, kv: number): boolean => {
    if (kv < 0 || kv >= kvLen) return false;
    const keys = keysOf(perHead ? h : 0, q);
    const i = lowerBound(keys, kv);
    return i < keys.length && keys[i] === kv;
  };
  const what = perRow !== undefined ? `perRow=${perRow}` : `density=${density}`;
  return definePattern((_b, h, q, kv) => allowed(h, q, kv), {
    description: `randomPattern(${what}, seed=${seed}${perHead ? ', perHead' : ''})`,
    batchInvariant: true,
    headInvariant: !perHead,
    checkLengths: (fn, _qLen, m) => {
      if (m !== kvLen) {
        throw new InvalidArgumentError(
          fn,
          'maskMod',
          `used with the key length it was drawn for (${kvLen})`,
          m,
          'Build a new randomPattern({ kvLen }) for these keys.',
        );
      }
    },
    blocks: {
      classify: (_b, h, q0, q1, grid, states) => {
        states.fill(BLOCK_NONE, 0, grid.count);
        for (let q = q0; q < q1; q++) {
          for (const kv of keysOf(perHead ? h : 0, q)) {
            const j = Math.floor((kv - grid.start) / grid.size);
            if (kv < grid.end && j >= 0 && j < grid.count) states[j] = BLOCK_PARTIAL;
          }
        }
      },
      fillBits: (_b, h, slab) => {
        for (let q = slab.q0; q < slab.q1; q++) {
          const keys = keysOf(perHead ? h : 0, q);
          for (let i = lowerBound(keys, slab.kv0); i < keys.length && keys[i]! < slab.kv1; i++)
            slab.set(q, keys[i]!);
        }
      },
    },
  });
}
