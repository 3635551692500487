import { assertNumber, defineOptions } from '@efficient-attention/core';
import { BLOCK_FULL, BLOCK_PARTIAL, classifyBand } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';
import { longformer2020 } from '../papers.js';
import { resolveWindowExtent, type WindowExtent, windowExtentOptions } from './window-extent.js';

/** Options of {@link dilatedSlidingWindow}. */
export interface DilatedSlidingWindowOptions extends WindowExtent {
  /** Gap between attended keys (1 = a plain sliding window). An integer ≥ 1. */
  dilation: number;
}

const FN = 'dilatedSlidingWindow';

/**
 * A dilated sliding window: query `q` attends keys `kv = q + t·dilation` for integers `t` in
 * `[−before, after]` — `before + after + 1` keys spread over `(before + after)·dilation + 1` positions,
 * widening the receptive field at the same cost. `dilation: 1` is {@link slidingWindow}.
 *
 * ```
 * dilatedSlidingWindow({ radius: 1, dilation: 2 })
 * q0 █·█····
 * q1 ·█·█···
 * q2 █·█·█··
 * q3 ·█·█·█·
 * ```
 *
 * Beltagy et al. 2020 (Longformer, §3.1), https://arxiv.org/abs/2004.05150.
 *
 * @example
 * ```ts
 * const dilated = dilatedSlidingWindow({ radius: 64, dilation: 2 }); // 129 keys over 257 positions
 * ```
 */
export function dilatedSlidingWindow(options: DilatedSlidingWindowOptions): MaskPattern {
  const { before, after } = resolveWindowExtent(FN, options, ['dilation']);
  const d = options.dilation;
  assertNumber(FN, 'options.dilation', d, { integer: true, min: 1 });
  const lo = -before * d;
  const hi = after * d;
  return definePattern(
    (_b, _h, q, kv) => {
      const delta = kv - q;
      return delta >= lo && delta <= hi && delta % d === 0;
    },
    {
      description: `dilatedSlidingWindow(before=${before}, after=${after}, dilation=${d})`,
      batchInvariant: true,
      headInvariant: true,
      blocks: {
        classify: (_b, _h, q0, q1, grid, states) => {
          classifyBand(q0, q1, grid, lo, hi, states);
          // With gaps no wide block is full; the bits settle the narrow ones.
          if (d > 1)
            for (let j = 0; j < grid.count; j++) if (states[j] === BLOCK_FULL) states[j] = BLOCK_PARTIAL;
        },
        fillBits: (_b, _h, slab) => {
          for (let q = slab.q0; q < slab.q1; q++) {
            const tFirst = Math.max(-before, Math.ceil((slab.kv0 - q) / d));
            const tLast = Math.min(after, Math.floor((slab.kv1 - 1 - q) / d));
            for (let t = tFirst; t <= tLast; t++) slab.set(q, q + t * d);
          }
        },
      },
    },
  );
}

/**
 * Registry entry for {@link dilatedSlidingWindow}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'dilated-sliding-window', radius: 64, dilation: 2 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const dilatedSlidingWindowPattern: MaskPatternDefinition = {
  name: 'dilated-sliding-window',
  title: 'Dilated sliding window',
  description: 'A band with gaps: kv = q + t·dilation, t ∈ [−before, after].',
  paper: longformer2020,
  options: defineOptions({
    ...windowExtentOptions,
    dilation: {
      type: 'number',
      integer: true,
      min: 1,
      description: 'Gap between attended keys (1 = a plain sliding window).',
    },
  }),
  create: (p: DilatedSlidingWindowOptions & PatternParameters) => dilatedSlidingWindow(p),
};
