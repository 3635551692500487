import type { MaskMod } from '@efficient-attention/core';
import {
  bigBird,
  blockLocal,
  dilatedSlidingWindow,
  globalTokens,
  longformer,
  randomPattern,
  slidingWindow,
  strided,
} from '@efficient-attention/sparse-masks';
import type { PatternKind, PatternParams } from './pattern-kinds.js';

/**
 * The `@efficient-attention/sparse-masks` predicate of a pattern kind (check {@link patternProblem} first:
 * the constructors throw on invalid parameters).
 *
 * @example
 * ```ts
 * const band = buildPattern('band', { ...DEFAULT_PATTERN_PARAMS, radius: 2 }); // slidingWindow({ radius: 2 })
 * ```
 */
export function buildPattern(kind: PatternKind, p: PatternParams): MaskMod {
  const globals = Array.from({ length: p.globals }, (_, i) => i);
  switch (kind) {
    case 'global':
      return globalTokens({ indices: globals });
    case 'band':
      return slidingWindow({ radius: p.radius });
    case 'dilated':
      return dilatedSlidingWindow({ radius: p.radius, dilation: p.dilation });
    case 'random':
      return randomPattern({ kvLen: p.n, perRow: p.random, seed: p.seed });
    case 'block-local':
      return blockLocal({ size: p.blockSize });
    case 'longformer':
      return longformer({ radius: p.radius, globalIndices: globals, dilation: p.dilation });
    case 'bigbird':
      return bigBird({
        seqLen: p.n,
        blockSize: p.blockSize,
        windowBlocks: 3,
        globalBlocks: p.globals,
        randomBlocks: Math.min(p.random, Math.max(0, Math.ceil(p.n / p.blockSize) - p.globals - 3)),
        seed: p.seed,
      });
    case 'strided':
      return strided({ stride: p.stride, causal: false });
  }
}
