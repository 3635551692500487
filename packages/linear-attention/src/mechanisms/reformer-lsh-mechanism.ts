import {
  defineCapabilities,
  defineOptions,
  InvalidArgumentError,
  type MechanismDefinition,
  paper,
} from '@efficient-attention/core';
import { lshAttention } from '../lsh-attention.js';
import { checkApplyOptions } from './apply-options.js';
import { configChecker, resolveConfig } from './mechanism-config.js';

/** Config of the `reformer-lsh` mechanism (the rotations' seed comes from the mechanism context). */
export interface ReformerLshConfig {
  /** Hashing rounds. Default 4. */
  numHashes: number;
  /** Positions per chunk. Default 32. */
  chunkSize: number;
  /** Buckets per round (1 or even), or `'auto'`. Default `'auto'`. */
  numBuckets: number | 'auto';
  /** Reformer's shared-QK (pass q as k). Default `false`, so that the mechanism approximates attention over k. */
  sharedQK: boolean;
}

const NAME = 'reformer-lsh';

const reformerLshOptions = defineOptions({
  numHashes: {
    type: 'number',
    integer: true,
    min: 1,
    default: 4,
    description: 'Hashing rounds: more rounds, fewer missed neighbours (the paper’s n_rounds).',
  },
  chunkSize: {
    type: 'number',
    integer: true,
    min: 1,
    default: 32,
    description:
      'Positions per chunk of the sorted sequence; each chunk attends to itself and the previous one.',
  },
  numBuckets: {
    // The schema has no "number or 'auto'" type: checkConfig also accepts 1 or an even integer ≥ 2.
    type: 'enum',
    values: ['auto'],
    default: 'auto',
    description: "Buckets per round: 1 or an even integer ≥ 2, or 'auto' (twice the number of chunks).",
  },
  sharedQK: {
    type: 'boolean',
    default: false,
    description:
      'Reformer’s shared-QK attention (keys are q/‖q‖; pass q as k). Off: attend over the given k.',
  },
});

/** `numBuckets`: `'auto'`, 1, or an even integer ≥ 2 (angular LSH takes argmax over ±R·x). */
function checkNumBuckets(fn: string, parameter: string, value: unknown): void {
  if (value === 'auto' || value === 1) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 2 || value % 2 !== 0) {
    throw new InvalidArgumentError(fn, parameter, "1, an even integer ≥ 2, or 'auto'", value);
  }
}

/**
 * `reformer-lsh` (Kitaev et al. 2020, https://arxiv.org/abs/2001.04451): LSH attention, see
 * {@link lshAttention}. Rotations are drawn from the context seed at every call (pure in the seed).
 *
 * @example
 * ```ts
 * const layer = reformerLshMechanism.create({ numHashes: 8 }, { seed: 3, heads: 8, headDim: 64 });
 * ```
 */
export const reformerLshMechanism: MechanismDefinition<ReformerLshConfig> = {
  name: NAME,
  title: 'Reformer (LSH)',
  paper: paper(
    'Reformer: The Efficient Transformer',
    'Kitaev, Kaiser, Levskaya',
    2020,
    'https://arxiv.org/abs/2001.04451',
    'ICLR',
  ),
  description:
    'Reformer LSH attention: angular-LSH buckets, sorted chunks attending to themselves and the previous chunk.',
  capabilities: defineCapabilities({
    family: 'hashing',
    accuracy: {
      kind: 'approximate',
      tolerance: 0.4,
      bound:
        'Measured, default 4 hashes, chunks of 32, auto buckets, at the conformance shape (heads 2, N 128, d 16, ' +
        'unit-normal inputs): relative error ≤ 0.18 non-causal and ≤ 0.29 causal over 12 seeds; 0.4 leaves margin. ' +
        '8 hashes: ≤ 0.09. Equal to full attention when every query meets every key (one bucket).',
    },
    supportsCausal: true,
    supportsMask: false,
    supportsScoreMod: false,
    supportsCrossAttention: false,
    supportsGroupedQuery: true,
    requiresFixedLength: false,
    timeComplexity: 'O(N·chunk·hashes·d)',
    memoryComplexity: 'O(N·chunk·hashes)',
    trainableParameters: false,
  }),
  options: reformerLshOptions,
  defaultConfig: { numHashes: 4, chunkSize: 32, numBuckets: 'auto', sharedQK: false },
  checkConfig: configChecker(reformerLshOptions, { numBuckets: checkNumBuckets }),
  // No decoding hook: it cannot attend from one query to a cache (self-attention only, buckets over the
  // whole sequence), so models recompute the prefix, the default without cross-attention.
  create: (config, context) => {
    const c = resolveConfig(reformerLshMechanism, config, `${NAME}.create`);
    return {
      params: {},
      apply: (q, k, v, options) => {
        const causal = checkApplyOptions(NAME, options, { causal: true });
        return lshAttention(q, k, v, { ...c, causal, seed: context.seed });
      },
      dispose: () => {},
    };
  },
};
