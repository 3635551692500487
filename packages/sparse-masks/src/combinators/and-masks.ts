import { InvalidArgumentError, type MaskMod } from '@efficient-attention/core';
import type { BitSlab } from '../bit-slab.js';
import type { BlockEnumerator } from '../block-enumerator.js';
import {
  assertMaskMod,
  definePattern,
  describeMask,
  enumeratorOf,
  type MaskPattern,
} from '../mask-pattern.js';

/**
 * The intersection of masks: a pair is allowed when every mask allows it, as attention-gym's `and_masks`.
 * Batch/head invariant when every part is; the block enumerator intersects the parts' block states
 * (empty if any part is empty, full only if every part is full) and their bits.
 *
 * ```
 * andMasks(causal(), slidingWindow({ before: 1 }))
 * q0 █···
 * q1 ██··
 * q2 ·██·
 * q3 ··██
 * ```
 *
 * FlexAttention (Dong et al. 2024), https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const causalWindow = andMasks(causal(), slidingWindow({ before: 256 }));
 * ```
 */
export function andMasks(...masks: MaskMod[]): MaskPattern {
  return combine('andMasks', masks, 'and');
}

/**
 * Combines masks with AND or OR (shared by {@link andMasks} and `orMasks`): block states combine with min
 * (AND) or max (OR), bits with ∧ (through a borrowed slab) or ∨ (written into the same slab).
 */
export function combine(fn: string, masks: MaskMod[], op: 'and' | 'or'): MaskPattern {
  if (masks.length === 0) throw new InvalidArgumentError(fn, 'masks', 'at least one MaskMod', masks);
  masks.forEach((m, i) => {
    assertMaskMod(fn, `masks[${i}]`, m);
  });
  const parts = [...masks];
  const enumerators = parts.map(enumeratorOf);
  const withBits = enumerators.every((e) => e.fillBits !== undefined);
  let scratch = new Uint8Array(0);
  const blocks: BlockEnumerator = {
    classify: (b, h, q0, q1, grid, states) => {
      enumerators[0]!.classify(b, h, q0, q1, grid, states);
      if (scratch.length < grid.count) scratch = new Uint8Array(grid.count);
      for (let i = 1; i < enumerators.length; i++) {
        enumerators[i]!.classify(b, h, q0, q1, grid, scratch);
        for (let j = 0; j < grid.count; j++) {
          states[j] = op === 'and' ? Math.min(states[j]!, scratch[j]!) : Math.max(states[j]!, scratch[j]!);
        }
      }
    },
    ...(withBits
      ? {
          fillBits: (b: number, h: number, slab: BitSlab) => {
            if (op === 'or') {
              for (const e of enumerators) e.fillBits!(b, h, slab);
              return;
            }
            const acc = slab.borrow();
            enumerators[0]!.fillBits!(b, h, acc);
            const part = slab.borrow();
            for (let i = 1; i < enumerators.length; i++) {
              part.reset(slab.q0, slab.rows, slab.kv0, slab.cols);
              enumerators[i]!.fillBits!(b, h, part);
              acc.and(part);
            }
            slab.or(acc);
            slab.release(part);
            slab.release(acc);
          },
        }
      : {}),
  };
  const checks = parts.map((m) => (m as Partial<MaskPattern>).checkLengths).filter((c) => c !== undefined);
  return definePattern(
    op === 'and'
      ? (b, h, q, kv) => parts.every((m) => m(b, h, q, kv))
      : (b, h, q, kv) => parts.some((m) => m(b, h, q, kv)),
    {
      description: `${op}(${parts.map(describeMask).join(', ')})`,
      batchInvariant: parts.every((m) => m.batchInvariant === true),
      headInvariant: parts.every((m) => m.headInvariant === true),
      blocks,
      ...(checks.length > 0
        ? {
            checkLengths: (f: string, qLen: number, kvLen: number) => {
              for (const check of checks) check(f, qLen, kvLen);
            },
          }
        : {}),
    },
  );
}
