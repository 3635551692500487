import { assertKnownOptions, assertNumber, type MaskMod } from '@efficient-attention/core';
import type { BitSlab } from '../bit-slab.js';
import type { BlockEnumerator } from '../block-enumerator.js';
import {
  assertMaskMod,
  definePattern,
  describeMask,
  enumeratorOf,
  type MaskPattern,
} from '../mask-pattern.js';

/** Options of {@link offsetMask}. */
export interface OffsetMaskOptions {
  /** Added to every query index before calling the mask. Default 0. */
  q?: number;
  /** Added to every key index before calling the mask. Default 0. */
  kv?: number;
}

/**
 * A mask evaluated at shifted positions: `offsetMask(mask, { q, kv })(b, h, i, j) = mask(b, h, i + q, j + kv)`.
 * The usual use is decoding with a KV cache (attention-gym's `offset`): the `qLen` new queries are the last
 * positions of a `kvLen` sequence, so `offsetMask(slidingWindow(…), { q: kvLen − qLen })` keeps the
 * window's meaning. Lengths checks of the inner mask are not applied (its lengths are shifted).
 *
 * ```
 * offsetMask(causal(), { q: 2 })    (2 new queries after 2 cached keys)
 * q0 ███·
 * q1 ████
 * ```
 *
 * FlexAttention (Dong et al. 2024), https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const decodeWindow = offsetMask(slidingWindow({ before: 512 }), { q: cacheLength });
 * ```
 */
export function offsetMask(mask: MaskMod, options: OffsetMaskOptions = {}): MaskPattern {
  assertMaskMod('offsetMask', 'mask', mask);
  assertKnownOptions('offsetMask', options, ['q', 'kv']);
  const dq = options.q ?? 0;
  const dkv = options.kv ?? 0;
  assertNumber('offsetMask', 'options.q', dq, { integer: true });
  assertNumber('offsetMask', 'options.kv', dkv, { integer: true });
  const inner = enumeratorOf(mask);
  const fill = inner.fillBits;
  const blocks: BlockEnumerator = {
    classify: (b, h, q0, q1, grid, states) =>
      inner.classify(
        b,
        h,
        q0 + dq,
        q1 + dq,
        { ...grid, start: grid.start + dkv, end: grid.end + dkv },
        states,
      ),
    ...(fill
      ? {
          fillBits: (b: number, h: number, slab: BitSlab) => {
            slab.shift(dq, dkv);
            try {
              fill(b, h, slab);
            } finally {
              slab.shift(-dq, -dkv);
            }
          },
        }
      : {}),
  };
  return definePattern((b, h, q, kv) => mask(b, h, q + dq, kv + dkv), {
    description: `offset(${describeMask(mask)}, q=${dq}, kv=${dkv})`,
    batchInvariant: mask.batchInvariant === true,
    headInvariant: mask.headInvariant === true,
    blocks,
  });
}
