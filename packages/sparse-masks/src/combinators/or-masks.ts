import type { MaskMod } from '@efficient-attention/core';
import type { MaskPattern } from '../mask-pattern.js';
import { combine } from './and-masks.js';

/**
 * The union of masks: a pair is allowed when any mask allows it, as attention-gym's `or_masks`. Batch/head
 * invariant when every part is; the block enumerator unites the parts' block states (full if any part is
 * full, empty only if every part is empty) and their bits.
 *
 * ```
 * orMasks(slidingWindow({ radius: 0 }), globalTokens({ indices: [0] }))
 * q0 ████
 * q1 ██··
 * q2 █·█·
 * q3 █··█
 * ```
 *
 * FlexAttention (Dong et al. 2024), https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const localPlusGlobal = orMasks(slidingWindow({ radius: 64 }), globalTokens({ indices: [0, 1] }));
 * ```
 */
export function orMasks(...masks: MaskMod[]): MaskPattern {
  return combine('orMasks', masks, 'or');
}
