import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  IncompatibleOptionsError,
  InvalidArgumentError,
} from '@efficient-attention/core';
import type { BitSink } from '../bit-sink.js';
import { BLOCK_NONE, BLOCK_PARTIAL } from '../block-enumerator.js';
import { lowerBound } from '../lower-bound.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';
import { bigBird2020 } from '../papers.js';
import { seededSample, seededSampleInto } from './seeded-sample.js';

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

/** The rows of one head drawn so far. */
interface DrawnRows {
  readonly h: number;
  /** Row q ≥ 0 at `[q · count, (q + 1) · count)`, once drawn. */
  keys: Int32Array;
  /** 1 where row q is drawn. */
  drawn: Uint8Array;
  /** Rows outside `[0, DENSE_ROWS)`. */
  readonly negative: Map<number, Int32Array>;
}

/** Rows kept in a head's dense key array (beyond, a map: a far row must not allocate every row before it). */
const DENSE_ROWS = 2 ** 22;

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
  // Drawn rows, per head: rows 0 ≤ q < DENSE_ROWS (the hot path of block building) in one Int32Array, `count`
  // keys per row from `q · count`, grown by doubling (no array object per row); other rows (offset masks may
  // ask for negative or far rows) in a map.
  const dense = (q: number) => q >= 0 && q < DENSE_ROWS;
  const heads = new Map<number, DrawnRows>();
  const headRows = (h: number): DrawnRows => {
    let head = heads.get(h);
    if (head === undefined) {
      head = { h, keys: new Int32Array(0), drawn: new Uint8Array(0), negative: new Map() };
      heads.set(h, head);
    }
    return head;
  };
  /** Draws row q ≥ 0 of `head` if needed; returns where its keys start in `head.keys` (read it after). */
  const rowAt = (head: DrawnRows, q: number): number => {
    if (q >= head.drawn.length) {
      const capacity = Math.max(1024, q + 1, head.drawn.length * 2);
      const drawn = new Uint8Array(capacity);
      drawn.set(head.drawn);
      const keys = new Int32Array(capacity * count);
      keys.set(head.keys);
      head.drawn = drawn;
      head.keys = keys;
    }
    if (head.drawn[q] === 0) {
      seededSampleInto(head.keys, q * count, kvLen, count, seed, head.h, q);
      head.drawn[q] = 1;
    }
    return q * count;
  };
  /** The sorted keys of row q of head h (h = 0 unless perHead). */
  const keysOf = (h: number, q: number): Int32Array => {
    const head = headRows(h);
    if (dense(q)) {
      const at = rowAt(head, q);
      return head.keys.subarray(at, at + count);
    }
    let keys = head.negative.get(q);
    if (keys === undefined) {
      keys = seededSample(kvLen, count, seed, h, q);
      head.negative.set(q, keys);
    }
    return keys;
  };
  const allowed = (h: number, q: number, kv: number): boolean => {
    if (kv < 0 || kv >= kvLen) return false;
    if (!dense(q)) {
      const keys = keysOf(perHead ? h : 0, q);
      const i = lowerBound(keys, kv);
      return i < keys.length && keys[i] === kv;
    }
    // Binary search in place: the predicate runs once per pair in sweeps and dense masks.
    const head = headRows(perHead ? h : 0);
    let a = rowAt(head, q);
    let b = a + count;
    const keys = head.keys;
    while (a < b) {
      const m = (a + b) >> 1;
      if (keys[m]! < kv) a = m + 1;
      else b = m;
    }
    return a < q * count + count && keys[a] === kv;
  };
  /**
   * Marks each row's drawn keys inside the sink: O(rows · log perRow + marked pairs), no predicate calls and
   * no per-row objects (rows read straight from the head's key array).
   */
  const fill = (_b: number, h: number, sink: BitSink) => {
    const head = headRows(perHead ? h : 0);
    const kv0 = sink.kv0;
    const kv1 = sink.kv1;
    for (let q = sink.q0; q < sink.q1; q++) {
      let i = dense(q) ? rowAt(head, q) : 0;
      const row = dense(q) ? head.keys : keysOf(head.h, q);
      const end = i + count;
      if (count > 8) i += lowerBound(row.subarray(i, end), kv0);
      for (; i < end && row[i]! < kv1; i++) sink.set(q, row[i]!);
    }
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
        const head = headRows(perHead ? h : 0);
        for (let q = q0; q < q1; q++) {
          const at = dense(q) ? rowAt(head, q) : 0;
          const row = dense(q) ? head.keys : keysOf(head.h, q);
          for (let i = at; i < at + count; i++) {
            const kv = row[i]!;
            const j = Math.floor((kv - grid.start) / grid.size);
            if (kv < grid.end && j >= 0 && j < grid.count) states[j] = BLOCK_PARTIAL;
          }
        }
      },
      // Only `set`: the same filler serves slabs (combinators) and the in-place writer.
      fillBits: (b, h, slab) => fill(b, h, slab),
      writeBits: (b, h, sink) => fill(b, h, sink),
    },
  });
}

/**
 * Registry entry for {@link randomPattern}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'random', perRow: 8 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const randomPatternDefinition: MaskPatternDefinition = {
  name: 'random',
  title: 'Random',
  description: 'A seeded random set of keys per query row (perRow or density).',
  paper: bigBird2020,
  options: defineOptions({
    perRow: {
      type: 'number',
      integer: true,
      min: 0,
      description: 'Distinct random keys per query row (≤ the key length); give this or `density`.',
    },
    density: {
      type: 'number',
      min: 0,
      max: 1,
      description: 'Fraction of the keys per query row; give this or `perRow`.',
    },
    perHead: {
      type: 'boolean',
      default: false,
      description: 'Draw separately for each head (otherwise one draw for all heads).',
    },
  }),
  create: (p: Omit<RandomPatternOptions, 'kvLen' | 'seed'> & PatternParameters, c) =>
    randomPattern({ ...p, kvLen: c.kvLen, seed: c.seed }),
};
