import { assertKnownOptions, defineCapabilities, type MechanismDefinition } from '@efficient-attention/core';
import { lshAttention } from '../lsh-attention.js';
import { checkApplyOptions } from './apply-options.js';

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
    paper: 'https://arxiv.org/abs/2001.04451',
  }),
  defaultConfig: { numHashes: 4, chunkSize: 32, numBuckets: 'auto', sharedQK: false },
  create: (config, context) => {
    assertKnownOptions(`${NAME}.create`, config, Object.keys(reformerLshMechanism.defaultConfig));
    const c = { ...reformerLshMechanism.defaultConfig, ...config };
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
