import { classifyBand } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';
import { longformer2020 } from '../papers.js';
import { resolveWindowExtent, type WindowExtent, windowExtentOptions } from './window-extent.js';

/** Options of {@link slidingWindow}: `radius`, or `before` / `after`. */
export type SlidingWindowOptions = WindowExtent;

/**
 * A sliding window (band): query `q` may attend key `kv` when `q − before ≤ kv ≤ q + after`, inclusive, so
 * the token itself is always allowed. `radius: w` means `before = after = w`; a causal window of `w` is
 * `{ before: w, after: 0 }`. Give `before`, `after` or `radius` (a missing side is 0).
 *
 * ```
 * slidingWindow({ radius: 1 })     slidingWindow({ before: 2, after: 0 })
 * q0 ██····                        q0 █·····
 * q1 ███···                        q1 ██····
 * q2 ·███··                        q2 ███···
 * q3 ··███·                        q3 ·███··
 * ```
 *
 * Beltagy et al. 2020 (Longformer), https://arxiv.org/abs/2004.05150.
 *
 * @example
 * ```ts
 * const local = slidingWindow({ radius: 128 });
 * const blocks = createBlockMask(local, 16384, 16384, { blockSize: 128 }); // 3 blocks per query block
 * ```
 */
export function slidingWindow(options: SlidingWindowOptions): MaskPattern {
  const { before, after } = resolveWindowExtent('slidingWindow', options);
  return definePattern((_b, _h, q, kv) => kv >= q - before && kv <= q + after, {
    description: `slidingWindow(before=${before}, after=${after})`,
    batchInvariant: true,
    headInvariant: true,
    blocks: {
      classify: (_b, _h, q0, q1, grid, states) => classifyBand(q0, q1, grid, -before, after, states),
      fillBits: (_b, _h, slab) => {
        for (let q = slab.q0; q < slab.q1; q++) slab.setRange(q, q - before, q + after + 1);
      },
    },
  });
}

/**
 * Registry entry for {@link slidingWindow}: `{ pattern: 'sliding-window', radius: 64 }`. A band, so decoding
 * keeps only the last `1 + before` keys.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'sliding-window', before: 128 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const slidingWindowPattern: MaskPatternDefinition = {
  name: 'sliding-window',
  title: 'Sliding window',
  description: 'A band: kv ∈ [q − before, q + after].',
  paper: longformer2020,
  options: windowExtentOptions,
  band: (p: SlidingWindowOptions & PatternParameters) => resolveWindowExtent('sliding-window', p),
  create: (p: SlidingWindowOptions & PatternParameters) => slidingWindow(p),
};
