import { assertKnownOptions, defineOptions, paper } from '@efficient-attention/core';
import { defineEncoding } from './encoding-definition.js';
import type { NoEncoding } from './types.js';

/**
 * NoPE: no positional encoding, as an explicit choice. Causal (decoder) attention can still recover
 * positions from the mask, and Kazemnejad et al. 2023 find it generalises to longer inputs better than
 * several explicit encodings: https://arxiv.org/abs/2305.19466. Bidirectional attention without any
 * encoding is permutation-invariant.
 *
 * @example
 * ```ts
 * const enc = nope();
 * enc.kind; // 'none': attention layers skip every positional step
 * ```
 */
export function nope(options?: Record<string, never>): NoEncoding {
  assertKnownOptions('nope', options, []);
  return Object.freeze({
    kind: 'none' as const,
    name: 'nope',
    variables: Object.freeze({}),
    dispose: () => {},
  });
}

/**
 * Registry entry for {@link nope}: capabilities, `describe()` text and a factory; it takes no options.
 * Paper: https://arxiv.org/abs/2305.19466
 *
 * @example
 * ```ts
 * const enc = nopeDefinition.create({}, { modelDim: 256, heads: 4, headDim: 64, maxLength: 512, seed: 0 });
 * ```
 */
export const nopeDefinition = defineEncoding<Record<string, never>>({
  name: 'nope',
  title: 'NoPE (no positional encoding)',
  paper: paper(
    'The Impact of Positional Encoding on Length Generalization in Transformers',
    'Kazemnejad et al.',
    2023,
    'https://arxiv.org/abs/2305.19466',
    'NeurIPS',
  ),
  capabilities: { kind: 'none', trainable: 'never', extrapolates: true, extraMemory: 'none' },
  options: defineOptions({}),
  description: {
    formula: 's_{i,j} = \\mathbf{q}_i\\cdot\\mathbf{k}_j\\quad\\text{(order only through the causal mask)}',
    strengths: [
      'Nothing to compute or store.',
      'In causal decoders, length generalisation on par with or better than explicit encodings (Kazemnejad et al.).',
    ],
    weaknesses: [
      'Only works with causal attention: bidirectional attention becomes blind to order.',
      'Position must be inferred, which costs capacity in early layers.',
    ],
  },
  create: (options) => nope(options),
});
