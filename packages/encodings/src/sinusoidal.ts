import { assertNumber, defineOptions, paper } from '@efficient-attention/core';
import { additiveEncoding } from './additive-encoding.js';
import { defineEncoding, withContext } from './encoding-definition.js';
import { PositionTableCache } from './position-table-cache.js';
import { resolvePositions } from './positions.js';
import { requireOptions } from './require-options.js';
import type { AdditiveEncoding } from './types.js';

/** Options of {@link sinusoidal}. */
export interface SinusoidalOptions {
  /** Embedding width d (any positive integer; an odd d ends with a sine). */
  dim: number;
  /** The wavelength base. Default `10000` (Vaswani et al.). */
  base?: number;
}

const FN = 'sinusoidal';
const OPTION_KEYS = ['dim', 'base'] as const;

/**
 * The sinusoidal encoding of Vaswani et al. 2017 (§3.5): `PE(p, 2i) = sin(p / base^{2i/d})`,
 * `PE(p, 2i+1) = cos(p / base^{2i/d})`. Each (sin, cos) pair rotates with the position, so
 * `PE(p + k) = M_k · PE(p)` for a block-rotation matrix `M_k` that does not depend on p.
 * Rows are computed in float64 once per position range and cached (see `dispose`).
 * Paper: https://arxiv.org/abs/1706.03762
 *
 * @example
 * ```ts
 * const pe = sinusoidal({ dim: 64 });
 * const table = pe.encode(128); // [128, 64]
 * const h = pe.apply(tf.zeros([2, 128, 64])); // embeddings + table
 * pe.dispose();
 * ```
 */
export function sinusoidal(options: SinusoidalOptions): AdditiveEncoding {
  requireOptions(FN, options, OPTION_KEYS, '`dim`');
  const { dim, base = 10000 } = options;
  assertNumber(FN, 'options.dim', dim, { integer: true, min: 1 });
  assertNumber(FN, 'options.base', base, { positive: true });
  const frequencies = Array.from({ length: Math.ceil(dim / 2) }, (_, i) => base ** (-(2 * i) / dim));
  const cache = new PositionTableCache(dim, (p, row) => {
    for (let j = 0; j < dim; j++) {
      const angle = p * frequencies[j >> 1]!;
      row[j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  });
  return additiveEncoding({
    fn: FN,
    name: 'sinusoidal',
    dim,
    variables: {},
    table: (length, offset) => cache.rows(resolvePositions(FN, 'options.offset', offset, length)),
    dispose: () => cache.dispose(),
  });
}

/**
 * Registry entry for {@link sinusoidal}: capabilities, `describe()` text and a factory; `dim` comes from the context's `modelDim`.
 * Paper: https://arxiv.org/abs/1706.03762
 *
 * @example
 * ```ts
 * const enc = sinusoidalDefinition.create({ base: 10000 }, { modelDim: 256, heads: 4, headDim: 64, maxLength: 512, seed: 0 });
 * ```
 */
export const sinusoidalDefinition = defineEncoding<Omit<SinusoidalOptions, 'dim'>>({
  name: 'sinusoidal',
  title: 'Sinusoidal',
  paper: paper(
    'Attention Is All You Need',
    'Vaswani et al.',
    2017,
    'https://arxiv.org/abs/1706.03762',
    'NeurIPS',
  ),
  capabilities: {
    kind: 'additive',
    trainable: 'never',
    extrapolates: false,
    extraMemory: 'O(L·d) cached table',
  },
  options: defineOptions({
    base: { type: 'number', positive: true, default: 10000, description: 'The wavelength base.' },
  }),
  contextOptions: ['dim'],
  description: {
    formula:
      '\\mathrm{PE}_{(p,2i)} = \\sin\\!\\left(p / 10000^{2i/d}\\right),\\quad \\mathrm{PE}_{(p,2i+1)} = \\cos\\!\\left(p / 10000^{2i/d}\\right)',
    strengths: [
      'No parameters; defined for every position.',
      'Relative offsets are linear maps: PE(p + k) = M_k PE(p).',
    ],
    weaknesses: [
      'Added to the embeddings, so position and content mix in every dot product.',
      'Perplexity degrades quickly past the training length (Press et al., 2022).',
    ],
  },
  create: (options, context) => sinusoidal(withContext('sinusoidal', options, { dim: context.modelDim })),
});
