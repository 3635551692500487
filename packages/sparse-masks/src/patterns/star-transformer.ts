import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  InvalidArgumentError,
  paper,
} from '@efficient-attention/core';
import { BLOCK_NONE, BLOCK_PARTIAL } from '../block-enumerator.js';
import { orMasks } from '../combinators/or-masks.js';
import { definePattern, type MaskPattern, renamePattern } from '../mask-pattern.js';
import type { MaskPatternDefinition } from '../mask-pattern-definition.js';
import { globalTokens } from './global-tokens.js';
import { slidingWindow } from './sliding-window.js';

/** Options of {@link starTransformer}. */
export interface StarTransformerOptions {
  /** Sequence length, position 0 included (an integer ≥ 2); it closes the ring. */
  seqLen: number;
}

const FN = 'starTransformer';

/** The two pairs that close the satellite ring: (1, seqLen − 1) and (seqLen − 1, 1). */
function ringClosure(seqLen: number): MaskPattern {
  const last = seqLen - 1;
  const corner = (q: number, kv: number) => (q === 1 && kv === last) || (q === last && kv === 1);
  return definePattern((_b, _h, q, kv) => corner(q, kv), {
    description: `ringClosure(${seqLen})`,
    batchInvariant: true,
    headInvariant: true,
    blocks: {
      classify: (_b, _h, q0, q1, grid, states) => {
        states.fill(BLOCK_NONE, 0, grid.count);
        for (const [q, kv] of [
          [1, last],
          [last, 1],
        ] as const) {
          const j = Math.floor((kv - grid.start) / grid.size);
          if (q >= q0 && q < q1 && kv >= grid.start && kv < grid.end) states[j] = BLOCK_PARTIAL;
        }
      },
      fillBits: (_b, _h, slab) => {
        slab.set(1, last);
        slab.set(last, 1);
      },
    },
  });
}

/**
 * Star-Transformer attention: position 0 is the relay node, positions `1 … seqLen − 1` are satellites on a
 * ring. The relay attends every position and every position attends the relay; each satellite also
 * attends itself and its two ring neighbours, the ring closing between positions 1 and `seqLen − 1`:
 * `orMasks(slidingWindow({ radius: 1 }), globalTokens({ indices: [0] }), ringClosure)`.
 *
 * ```
 * starTransformer({ seqLen: 6 })
 * q0 ██████
 * q1 ███··█
 * q2 ████··
 * q3 █·███·
 * q4 █··███
 * q5 ██··██
 * ```
 *
 * Guo et al. 2019, https://arxiv.org/abs/1902.09113.
 *
 * @example
 * ```ts
 * const star = starTransformer({ seqLen: 512 }); // about 4 keys per row
 * ```
 */
export function starTransformer(options: StarTransformerOptions): MaskPattern {
  assertKnownOptions(FN, options, ['seqLen']);
  const seqLen = options?.seqLen;
  assertNumber(FN, 'options.seqLen', seqLen, { integer: true, min: 2 });
  const star = orMasks(slidingWindow({ radius: 1 }), globalTokens({ indices: [0] }), ringClosure(seqLen));
  return renamePattern(
    definePattern(star, {
      description: star.description,
      batchInvariant: true,
      headInvariant: true,
      ...(star.blocks ? { blocks: star.blocks } : {}),
      checkLengths: (fn, qLen, kvLen) => {
        if (qLen !== seqLen || kvLen !== seqLen) {
          throw new InvalidArgumentError(
            fn,
            'maskMod',
            `used with the length it was built for (qLen = kvLen = ${seqLen})`,
            `qLen ${qLen}, kvLen ${kvLen}`,
            'Build a new starTransformer({ seqLen }) for this length.',
          );
        }
      },
    }),
    `starTransformer(seqLen=${seqLen})`,
  );
}

/**
 * Registry entry for {@link starTransformer}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'star-transformer' }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const starTransformerPattern: MaskPatternDefinition = {
  name: 'star-transformer',
  title: 'Star-Transformer',
  description: 'A relay token (position 0) plus a radius-1 ring of satellites.',
  paper: paper(
    'Star-Transformer',
    'Guo, Qiu, Liu, Shao, Xue, Zhang',
    2019,
    'https://arxiv.org/abs/1902.09113',
    'NAACL',
  ),
  options: defineOptions({}),
  create: (_p, c) => {
    if (c.qLen !== c.kvLen) {
      throw new InvalidArgumentError(
        'pattern "star-transformer"',
        'kvLen',
        `the query length ${c.qLen} (Star-Transformer is self-attention)`,
        c.kvLen,
      );
    }
    return starTransformer({ seqLen: c.qLen });
  },
};
