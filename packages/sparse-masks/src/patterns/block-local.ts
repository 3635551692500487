import { assertKnownOptions, assertNumber, defineOptions, paper } from '@efficient-attention/core';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';

/** Options of {@link blockLocal}. */
export interface BlockLocalOptions {
  /** Length of each local block (an integer ≥ 1). */
  size: number;
}

const FN = 'blockLocal';

/**
 * Block-local attention: the sequence is cut into non-overlapping blocks of `size` positions and query `q`
 * attends key `kv` when both lie in the same block, `⌊q / size⌋ = ⌊kv / size⌋`. With `size` equal to the
 * block mask's `blockSize`, every visited block is full.
 *
 * ```
 * blockLocal({ size: 2 })
 * q0 ██····
 * q1 ██····
 * q2 ··██··
 * q3 ··██··
 * ```
 *
 * Parmar et al. 2018 (Image Transformer, local 1-D attention), https://arxiv.org/abs/1802.05751; Qiu et
 * al. 2019 (BlockBERT), https://arxiv.org/abs/1911.02972.
 *
 * @example
 * ```ts
 * const chunks = blockLocal({ size: 256 }); // attention within 256-token chunks
 * ```
 */
export function blockLocal(options: BlockLocalOptions): MaskPattern {
  assertKnownOptions(FN, options, ['size']);
  const size = options?.size;
  assertNumber(FN, 'options.size', size, { integer: true, min: 1 });
  const blockOf = (x: number) => Math.floor(x / size);
  return definePattern((_b, _h, q, kv) => blockOf(q) === blockOf(kv), {
    description: `blockLocal(size=${size})`,
    batchInvariant: true,
    headInvariant: true,
    blocks: {
      classify: (_b, _h, q0, q1, grid, states) => {
        const a0 = blockOf(q0);
        const a1 = blockOf(q1 - 1);
        for (let j = 0; j < grid.count; j++) {
          const k0 = grid.start + j * grid.size;
          const k1 = Math.min(grid.end, k0 + grid.size);
          const c0 = blockOf(k0);
          const c1 = blockOf(k1 - 1);
          if (c1 < a0 || c0 > a1) states[j] = BLOCK_NONE;
          else if (a0 === a1 && c0 === c1 && a0 === c0) states[j] = BLOCK_FULL;
          else states[j] = BLOCK_PARTIAL;
        }
      },
      fillBits: (_b, _h, slab) => {
        for (let q = slab.q0; q < slab.q1; q++) {
          const start = blockOf(q) * size;
          slab.setRange(q, start, start + size);
        }
      },
    },
  });
}

/**
 * Registry entry for {@link blockLocal}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'block-local', size: 128 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const blockLocalPattern: MaskPatternDefinition = {
  name: 'block-local',
  title: 'Block-local',
  description: 'Attention within non-overlapping blocks of `size` positions.',
  paper: paper('Image Transformer', 'Parmar et al.', 2018, 'https://arxiv.org/abs/1802.05751', 'ICML'),
  options: defineOptions({
    size: { type: 'number', integer: true, min: 1, description: 'Positions per local block.' },
  }),
  create: (p: BlockLocalOptions & PatternParameters) => blockLocal(p),
};
