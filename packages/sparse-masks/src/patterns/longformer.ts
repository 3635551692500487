import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  InvalidArgumentError,
} from '@efficient-attention/core';
import { orMasks } from '../combinators/or-masks.js';
import { type MaskPattern, renamePattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';
import { longformer2020 } from '../papers.js';
import { dilatedSlidingWindow } from './dilated-sliding-window.js';
import { globalTokens } from './global-tokens.js';
import { slidingWindow } from './sliding-window.js';
import { resolveWindowExtent, type WindowExtent, windowExtentOptions } from './window-extent.js';

/** Options of {@link longformer}. */
export interface LongformerOptions extends WindowExtent {
  /** Positions with global attention (e.g. `[0]` for [CLS], or the question tokens in QA). Default `[]`. */
  globalIndices?: readonly number[];
  /** Window dilation (an integer ≥ 1). Default 1. */
  dilation?: number;
}

const FN = 'longformer';

/**
 * Longformer attention: a (dilated) sliding window plus global tokens —
 * `orMasks(dilatedSlidingWindow({ before, after, dilation }), globalTokens({ indices: globalIndices }))`.
 * Query `q` may attend key `kv` when `kv − q = t·dilation` for some `t ∈ [−before, after]`, or `q` or `kv`
 * is a global index.
 *
 * ```
 * longformer({ radius: 1, globalIndices: [0] })
 * q0 ██████
 * q1 ███···
 * q2 ████··
 * q3 █·███·
 * q4 █··███
 * ```
 *
 * Beltagy et al. 2020, https://arxiv.org/abs/2004.05150.
 *
 * @example
 * ```ts
 * const pattern = longformer({ radius: 256, globalIndices: [0] }); // Longformer-base: w = 512, [CLS] global
 * ```
 */
export function longformer(options: LongformerOptions): MaskPattern {
  assertKnownOptions(FN, options, ['before', 'after', 'radius', 'globalIndices', 'dilation']);
  const { globalIndices = [], dilation = 1, ...extent } = options ?? ({} as LongformerOptions);
  assertNumber(FN, 'options.dilation', dilation, { integer: true, min: 1 });
  if (!Array.isArray(globalIndices)) {
    throw new InvalidArgumentError(FN, 'options.globalIndices', 'an array of token positions', globalIndices);
  }
  const window = dilation === 1 ? slidingWindow(extent) : dilatedSlidingWindow({ ...extent, dilation });
  const parts = globalIndices.length > 0 ? [window, globalTokens({ indices: globalIndices })] : [window];
  const combined = orMasks(...parts);
  const shown =
    globalIndices.length > 6 ? `${globalIndices.slice(0, 6).join(', ')}, …` : globalIndices.join(', ');
  const { before, after } = resolveWindowExtent(FN, extent);
  const dilated = dilation === 1 ? '' : `, dilation=${dilation}`;
  return renamePattern(
    combined,
    `longformer(before=${before}, after=${after}${dilated}, globalIndices=[${shown}])`,
  );
}

/**
 * Registry entry for {@link longformer}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'longformer', radius: 128, globalIndices: [0] }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const longformerPattern: MaskPatternDefinition = {
  name: 'longformer',
  title: 'Longformer',
  description: 'A (dilated) sliding window plus global tokens.',
  paper: longformer2020,
  options: defineOptions({
    ...windowExtentOptions,
    dilation: { type: 'number', integer: true, min: 1, default: 1, description: 'Window dilation.' },
    globalIndices: {
      type: 'integer-list',
      min: 0,
      default: [],
      description: 'Positions with global attention (e.g. [0] for [CLS]).',
    },
  }),
  create: (p: LongformerOptions & PatternParameters) => longformer(p),
};
