import {
  assertNumber,
  defineOptions,
  InvalidArgumentError,
  paper,
  seededNormal,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { additiveEncoding } from './additive-encoding.js';
import { defineEncoding, withContext } from './encoding-definition.js';
import { requireOptions } from './require-options.js';
import type { AdditiveEncoding } from './types.js';

/** Options of {@link learnedPosition}. */
export interface LearnedPositionOptions {
  /** Embedding width d. */
  dim: number;
  /** Rows of the table: positions 0 … maxLength − 1. */
  maxLength: number;
  /** Seed of the initial values. Default `0`. */
  seed?: number;
  /** Standard deviation of the normal initial values. Default `0.02` (GPT-2, BERT). */
  initStd?: number;
}

const FN = 'learnedPosition';
const OPTION_KEYS = ['dim', 'maxLength', 'seed', 'initStd'] as const;

/**
 * Learned absolute position embeddings: a trainable `[maxLength, dim]` table whose row p is added to the
 * token at position p (BERT, GPT-2; Gehring et al. 2017 introduced them for convolutional seq2seq:
 * https://arxiv.org/abs/1705.03122). Asking for positions past `maxLength` throws: the table has no row
 * for them.
 *
 * @example
 * ```ts
 * const pe = learnedPosition({ dim: 32, maxLength: 512, seed: 1 });
 * const h = pe.apply(tf.zeros([4, 100, 32])); // gradients reach pe.variables.table
 * pe.dispose();
 * ```
 */
export function learnedPosition(options: LearnedPositionOptions): AdditiveEncoding {
  requireOptions(FN, options, OPTION_KEYS, '`dim` and `maxLength`');
  const { dim, maxLength, seed = 0, initStd = 0.02 } = options;
  assertNumber(FN, 'options.dim', dim, { integer: true, min: 1 });
  assertNumber(FN, 'options.maxLength', maxLength, { integer: true, min: 1 });
  assertNumber(FN, 'options.seed', seed, { integer: true });
  assertNumber(FN, 'options.initStd', initStd, { min: 0 });
  const table = tf.keep(tf.tidy(() => tf.variable(seededNormal([maxLength, dim], seed, initStd), true)));
  return additiveEncoding({
    fn: FN,
    name: 'learned',
    dim,
    variables: { table },
    table: (length, offset) => {
      if (offset + length > maxLength) {
        throw new InvalidArgumentError(
          FN,
          'offset + length',
          `at most maxLength = ${maxLength} (the table has a row for positions 0 … ${maxLength - 1})`,
          offset + length,
          'Create the encoding with a larger maxLength, or use one that extrapolates (ALiBi, RoPE, T5).',
        );
      }
      return tf.slice(table as tf.Tensor2D, [offset, 0], [length, dim]);
    },
    dispose: () => table.dispose(),
  });
}

/**
 * Registry entry for {@link learnedPosition}: capabilities, `describe()` text and a factory; `dim` (modelDim), `maxLength` and `seed` come from the context.
 * Paper: https://arxiv.org/abs/1705.03122
 *
 * @example
 * ```ts
 * const enc = learnedPositionDefinition.create({ initStd: 0.01 }, { modelDim: 256, heads: 4, headDim: 64, maxLength: 512, seed: 0 });
 * ```
 */
export const learnedPositionDefinition = defineEncoding<
  Omit<LearnedPositionOptions, 'dim' | 'maxLength' | 'seed'>
>({
  name: 'learned',
  title: 'Learned absolute',
  paper: paper(
    'Convolutional Sequence to Sequence Learning',
    'Gehring et al.',
    2017,
    'https://arxiv.org/abs/1705.03122',
    'ICML',
  ),
  capabilities: {
    kind: 'additive',
    trainable: 'always',
    extrapolates: false,
    extraMemory: 'O(maxLength·d) parameters',
  },
  options: defineOptions({
    initStd: {
      type: 'number',
      min: 0,
      default: 0.02,
      description: 'Standard deviation of the normal initial values (GPT-2, BERT).',
    },
  }),
  contextOptions: ['dim', 'maxLength', 'seed'],
  description: {
    formula: '\\mathrm{PE}(p) = E_{p,:},\\quad E \\in \\mathbb{R}^{L_{\\max}\\times d}\\ \\text{trained}',
    strengths: ['Learns whatever position pattern the data needs.', 'One table lookup; no trigonometry.'],
    weaknesses: [
      'Has no row past maxLength: it cannot extrapolate at all.',
      'maxLength·d parameters, and rare positions are trained on little data.',
    ],
  },
  create: (options, context) =>
    learnedPosition(
      withContext('learned', options, {
        dim: context.modelDim,
        maxLength: context.maxLength,
        seed: context.seed,
      }),
    ),
});
