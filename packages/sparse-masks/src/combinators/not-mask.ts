import type { MaskMod } from '@efficient-attention/core';
import type { BitSlab } from '../bit-slab.js';
import { BLOCK_FULL, type BlockEnumerator } from '../block-enumerator.js';
import {
  assertMaskMod,
  definePattern,
  describeMask,
  enumeratorOf,
  type MaskPattern,
} from '../mask-pattern.js';

/**
 * The complement of a mask: a pair is allowed when `mask` forbids it. Full blocks become empty, empty ones
 * full, partial ones stay partial (bits inverted).
 *
 * ```
 * notMask(causal())
 * q0 ·███
 * q1 ··██
 * q2 ···█
 * q3 ····
 * ```
 *
 * FlexAttention (Dong et al. 2024), https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const futureOnly = notMask(causal()); // keys strictly after the query
 * ```
 */
export function notMask(mask: MaskMod): MaskPattern {
  assertMaskMod('notMask', 'mask', mask);
  const inner = enumeratorOf(mask);
  const fill = inner.fillBits;
  const blocks: BlockEnumerator = {
    classify: (b, h, q0, q1, grid, states) => {
      inner.classify(b, h, q0, q1, grid, states);
      for (let j = 0; j < grid.count; j++) states[j] = BLOCK_FULL - states[j]!;
    },
    ...(fill
      ? {
          fillBits: (b: number, h: number, slab: BitSlab) => {
            const part = slab.borrow();
            fill(b, h, part);
            slab.orNot(part);
            slab.release(part);
          },
        }
      : {}),
  };
  const check = (mask as Partial<MaskPattern>).checkLengths;
  return definePattern((b, h, q, kv) => !mask(b, h, q, kv), {
    description: `not(${describeMask(mask)})`,
    batchInvariant: mask.batchInvariant === true,
    headInvariant: mask.headInvariant === true,
    blocks,
    ...(check ? { checkLengths: check } : {}),
  });
}
