import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  InvalidArgumentError,
} from '@efficient-attention/core';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL } from '../block-enumerator.js';
import { lowerBound } from '../lower-bound.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';
import { longformer2020 } from '../papers.js';

/** Options of {@link globalTokens}. */
export interface GlobalTokensOptions {
  /** Positions of the global tokens: integers ≥ 0 (duplicates are ignored). */
  indices: readonly number[];
}

const FN = 'globalTokens';

/** Number of sorted values in `[lo, hi)`. */
function countIn(sorted: Int32Array, lo: number, hi: number): number {
  return lowerBound(sorted, hi) - lowerBound(sorted, lo);
}

/**
 * Global tokens: the given positions attend to every key and every query attends to them. Query `q` may
 * attend key `kv` when `q ∈ indices` or `kv ∈ indices`. Alone it is only the global part; combine it with a
 * window ({@link longformer}) for local context. Every index must lie inside the sequence: building for
 * lengths where an index ≥ max(qLen, kvLen) throws.
 *
 * ```
 * globalTokens({ indices: [0] })
 * q0 ██████
 * q1 █·····
 * q2 █·····
 * ```
 *
 * Beltagy et al. 2020 (Longformer, §3.1), https://arxiv.org/abs/2004.05150; Ainslie et al. 2020 (ETC).
 *
 * @example
 * ```ts
 * const cls = globalTokens({ indices: [0] }); // a [CLS] token that sees and is seen by all
 * ```
 */
export function globalTokens(options: GlobalTokensOptions): MaskPattern {
  assertKnownOptions(FN, options, ['indices']);
  const given = options?.indices;
  if (!Array.isArray(given)) {
    throw new InvalidArgumentError(FN, 'options.indices', 'an array of token positions', given);
  }
  given.forEach((x, i) => {
    assertNumber(FN, `options.indices[${i}]`, x, { integer: true, min: 0 });
  });
  const sorted = Int32Array.from(new Set(given)).sort();
  const isGlobal = new Uint8Array(sorted.length > 0 ? sorted[sorted.length - 1]! + 1 : 0);
  for (const g of sorted) isGlobal[g] = 1;
  const global = (x: number) => x >= 0 && x < isGlobal.length && isGlobal[x] === 1;
  const shown = sorted.length > 6 ? `${Array.from(sorted.slice(0, 6)).join(', ')}, …` : sorted.join(', ');
  return definePattern((_b, _h, q, kv) => global(q) || global(kv), {
    description: `globalTokens(indices=[${shown}])`,
    batchInvariant: true,
    headInvariant: true,
    checkLengths: (fn, qLen, kvLen) => {
      const last = sorted[sorted.length - 1];
      const length = Math.max(qLen, kvLen);
      if (last !== undefined && last >= length) {
        throw new InvalidArgumentError(
          fn,
          'globalTokens indices',
          `positions < ${length} (the sequence length)`,
          last,
          'A global token index lies outside the sequence.',
        );
      }
    },
    blocks: {
      classify: (_b, _h, q0, q1, grid, states) => {
        const qCount = countIn(sorted, q0, q1);
        const allQ = qCount === q1 - q0;
        for (let j = 0; j < grid.count; j++) {
          const k0 = grid.start + j * grid.size;
          const k1 = Math.min(grid.end, k0 + grid.size);
          const kvCount = countIn(sorted, k0, k1);
          if (allQ || kvCount === k1 - k0) states[j] = BLOCK_FULL;
          else if (qCount > 0 || kvCount > 0) states[j] = BLOCK_PARTIAL;
          else states[j] = BLOCK_NONE;
        }
      },
      fillBits: (_b, _h, slab) => {
        const first = lowerBound(sorted, slab.kv0);
        const last = lowerBound(sorted, slab.kv1);
        for (let q = slab.q0; q < slab.q1; q++) {
          if (global(q)) {
            slab.setRange(q, slab.kv0, slab.kv1);
            continue;
          }
          for (let i = first; i < last; i++) slab.set(q, sorted[i]!);
        }
      },
    },
  });
}

/**
 * Registry entry for {@link globalTokens}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'global-tokens', indices: [0] }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const globalTokensPattern: MaskPatternDefinition = {
  name: 'global-tokens',
  title: 'Global tokens',
  description: 'Given positions attend to and are attended by every position.',
  paper: longformer2020,
  options: defineOptions({
    indices: {
      type: 'integer-list',
      min: 0,
      description: 'Positions of the global tokens (duplicates are ignored).',
    },
  }),
  create: (p: GlobalTokensOptions & PatternParameters) => globalTokens(p),
};
