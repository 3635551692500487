import { assertKnownOptions, assertNumber, defineOptions, paper } from '@efficient-attention/core';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL, classifyBand } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';

/** Options of {@link prefixLM}. */
export interface PrefixLMOptions {
  /** Length of the bidirectional prefix (an integer ≥ 0; 0 is plain causal). */
  prefixLength: number;
}

const FN = 'prefixLM';

/**
 * Prefix language model: every query attends the whole prefix bidirectionally, and the rest causally.
 * Query `q` may attend key `kv` when `kv < prefixLength` or `kv ≤ q`.
 *
 * ```
 * prefixLM({ prefixLength: 2 })
 * q0 ██····
 * q1 ██····
 * q2 ███···
 * q3 ████··
 * ```
 *
 * Raffel et al. 2020 (T5, §3.2.1), https://arxiv.org/abs/1910.10683.
 *
 * @example
 * ```ts
 * const mask = prefixLM({ prefixLength: 64 }); // a 64-token prompt seen in full, then causal
 * ```
 */
export function prefixLM(options: PrefixLMOptions): MaskPattern {
  assertKnownOptions(FN, options, ['prefixLength']);
  const prefix = options?.prefixLength;
  assertNumber(FN, 'options.prefixLength', prefix, { integer: true, min: 0 });
  return definePattern((_b, _h, q, kv) => kv < prefix || kv <= q, {
    description: `prefixLM(prefixLength=${prefix})`,
    batchInvariant: true,
    headInvariant: true,
    blocks: {
      classify: (_b, _h, q0, q1, grid, states) => {
        classifyBand(q0, q1, grid, Number.NEGATIVE_INFINITY, 0, states);
        for (let j = 0; j < grid.count; j++) {
          const k0 = grid.start + j * grid.size;
          const k1 = Math.min(grid.end, k0 + grid.size);
          const inPrefix = k1 <= prefix ? BLOCK_FULL : k0 < prefix ? BLOCK_PARTIAL : BLOCK_NONE;
          states[j] = Math.max(states[j]!, inPrefix);
        }
      },
      fillBits: (_b, _h, slab) => {
        for (let q = slab.q0; q < slab.q1; q++) slab.setRange(q, slab.kv0, Math.max(prefix, q + 1));
      },
    },
  });
}

/**
 * Registry entry for {@link prefixLM}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'prefix-lm', prefixLength: 16 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const prefixLMPattern: MaskPatternDefinition = {
  name: 'prefix-lm',
  title: 'Prefix LM',
  description: 'A bidirectional prefix, then causal.',
  paper: paper(
    'Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer',
    'Raffel et al.',
    2020,
    'https://arxiv.org/abs/1910.10683',
    'JMLR',
  ),
  options: defineOptions({
    prefixLength: {
      type: 'number',
      integer: true,
      min: 0,
      description: 'Length of the bidirectional prefix (0 is plain causal).',
    },
  }),
  create: (p: PrefixLMOptions & PatternParameters) => prefixLM(p),
};
