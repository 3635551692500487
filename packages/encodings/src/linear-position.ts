import { assertNumber, defineOptions, InvalidArgumentError, paper } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { additiveEncoding } from './additive-encoding.js';
import { defineEncoding, withContext } from './encoding-definition.js';
import { requireOptions } from './require-options.js';
import type { AdditiveEncoding } from './types.js';

/** Options of {@link linearPosition}. */
export interface LinearPositionOptions {
  /** Embedding width d. */
  dim: number;
  /**
   * The L of t = p / (L − 1). Default: the length covered by each call (`offset + length`), so that the
   * last position maps to 1. Set it to fix the scale across calls (positions ≥ L then give t > 1).
   */
  maxLength?: number;
  /** Make the map's weight w and bias b trainable variables. Default `false` (w = 1, b = 0). */
  trainable?: boolean;
}

const FN = 'linearPosition';
const OPTION_KEYS = ['dim', 'maxLength', 'trainable'] as const;

/**
 * Linear positional encoding: a linear map of the normalised position t = p / (L − 1) ∈ [0, 1] into d
 * dimensions, `PE(p) = t·w + b` with w, b ∈ ℝ^d. Fixed (w = 1, b = 0: every dimension carries t) or
 * learnable (same initial values, trained by tfjs autodiff). A single-position sequence gets t = 0.
 * It is the "linear" baseline of positional-encoding surveys, e.g. Dufter et al. 2022, "Position
 * Information in Transformers: An Overview": https://arxiv.org/abs/2102.11090
 *
 * @example
 * ```ts
 * const pe = linearPosition({ dim: 32, trainable: true });
 * const table = pe.encode(10); // row p = (p / 9)·w + b
 * pe.variables.weight; // tf.Variable [32]
 * pe.dispose();
 * ```
 */
export function linearPosition(options: LinearPositionOptions): AdditiveEncoding {
  requireOptions(FN, options, OPTION_KEYS, '`dim`');
  const { dim, maxLength, trainable = false } = options;
  assertNumber(FN, 'options.dim', dim, { integer: true, min: 1 });
  if (maxLength !== undefined) assertNumber(FN, 'options.maxLength', maxLength, { integer: true, min: 1 });
  if (typeof trainable !== 'boolean')
    throw new InvalidArgumentError(FN, 'options.trainable', 'a boolean', trainable);
  // Kept: the encoding owns these until dispose(), even when created inside a caller's tf.tidy.
  const parameter = (init: () => tf.Tensor) =>
    tf.keep(tf.tidy(() => (trainable ? tf.variable(init(), true) : init())));
  const weight = parameter(() => tf.ones([dim]));
  const bias = parameter(() => tf.zeros([dim]));
  return additiveEncoding({
    fn: FN,
    name: 'linear',
    dim,
    variables: trainable ? { weight: weight as tf.Variable, bias: bias as tf.Variable } : {},
    table: (length, offset) => {
      const span = (maxLength ?? offset + length) - 1;
      const t = new Float32Array(length);
      // t = 0 for a single position (L = 1) instead of 0/0.
      for (let i = 0; i < length; i++) t[i] = span > 0 ? (offset + i) / span : 0;
      return tf.add(tf.mul(tf.tensor2d(t, [length, 1]), weight), bias) as tf.Tensor2D;
    },
    dispose: () => tf.dispose([weight, bias]),
  });
}

/**
 * Registry entry for {@link linearPosition}: capabilities, `describe()` text and a factory; `dim` comes from the context's `modelDim`.
 * Paper: https://arxiv.org/abs/2102.11090
 *
 * @example
 * ```ts
 * const enc = linearPositionDefinition.create({ trainable: true }, { modelDim: 256, heads: 4, headDim: 64, maxLength: 512, seed: 0 });
 * ```
 */
export const linearPositionDefinition = defineEncoding<Omit<LinearPositionOptions, 'dim'>>({
  name: 'linear',
  title: 'Linear',
  paper: paper(
    'Position Information in Transformers: An Overview',
    'Dufter, Schmitt, Schütze',
    2022,
    'https://arxiv.org/abs/2102.11090',
    'Computational Linguistics',
  ),
  capabilities: {
    kind: 'additive',
    trainable: 'optional',
    extrapolates: false,
    extraMemory: 'O(d) parameters',
  },
  options: defineOptions({
    maxLength: {
      type: 'number',
      integer: true,
      min: 1,
      description: 'The L of t = p / (L − 1) (default: the length covered by each call).',
    },
    trainable: {
      type: 'boolean',
      default: false,
      description: 'Make the weight w and bias b trainable variables.',
    },
  }),
  contextOptions: ['dim'],
  description: {
    formula:
      '\\mathrm{PE}(p) = \\frac{p}{L-1}\\,\\mathbf{w} + \\mathbf{b},\\quad \\mathbf{w},\\mathbf{b}\\in\\mathbb{R}^d',
    strengths: [
      'Two vectors of parameters at most; trivially cheap.',
      'Smooth in the position, so it interpolates.',
    ],
    weaknesses: [
      'Rank one: all positions lie on one line, so nearby positions are hard to tell apart in high dimensions.',
      'Normalised by the length: a position means something else in a longer sequence unless maxLength is fixed.',
    ],
  },
  create: (options, context) => linearPosition(withContext('linear', options, { dim: context.modelDim })),
});
