import { assertNumber, defineOptions, InvalidArgumentError, paper } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { biasEncoding } from './bias-encoding.js';
import { defineEncoding, withContext } from './encoding-definition.js';
import { requireOptions } from './require-options.js';
import type { BiasEncoding } from './types.js';
import { variableValues } from './variable-values.js';

/**
 * ALiBi's head slopes, exactly as the authors' reference code (`get_slopes` in ofirpress/attention_with_linear_biases):
 * for a power of two n, the geometric sequence 2^(−8/n), 2^(−16/n), …, 2^(−8); otherwise the slopes of the
 * closest smaller power of two m, followed by every other slope of 2m (the first n − m of them).
 * Press et al. 2022, §3: https://arxiv.org/abs/2108.12409
 *
 * @example
 * ```ts
 * alibiSlopes(8); // [1/2, 1/4, …, 1/256]
 * alibiSlopes(12); // the 8-head slopes, then 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5
 * ```
 */
export function alibiSlopes(heads: number): number[] {
  assertNumber('alibiSlopes', 'heads', heads, { integer: true, min: 1 });
  const powerOfTwo = (n: number): number[] => {
    const start = 2 ** -(2 ** -(Math.log2(n) - 3));
    return Array.from({ length: n }, (_, i) => start * start ** i);
  };
  if (Number.isInteger(Math.log2(heads))) return powerOfTwo(heads);
  const closest = 2 ** Math.floor(Math.log2(heads));
  return [
    ...powerOfTwo(closest),
    ...alibiSlopes(2 * closest)
      .filter((_, i) => i % 2 === 0)
      .slice(0, heads - closest),
  ];
}

/** Options of {@link alibi}. */
export interface AlibiOptions {
  /** Attention heads: head h gets slope m_h = alibiSlopes(heads)[h]. */
  heads: number;
  /** Make the slopes a trainable variable (initialised to the paper's). Default `false`. */
  learnable?: boolean;
}

const FN = 'alibi';

/**
 * ALiBi (Attention with Linear Biases, Press et al. 2022: https://arxiv.org/abs/2108.12409): adds
 * −m_h·|i − j| to the score of query position i and key position j in head h. With causal masking this is
 * the paper's −m_h·(i − j); without it, the common symmetric extension. No position enters the embeddings.
 * Slopes may be learnable; gradients reach them through the tensor form of `scoreMod()` and through `bias()`.
 *
 * @example
 * ```ts
 * const enc = alibi({ heads: 8 });
 * const out = scaledDotProductAttention(q, k, v, { causal: true, scoreMod: enc.scoreMod() });
 * const b = enc.bias(16, 16); // [8, 16, 16]
 * enc.dispose();
 * ```
 */
export function alibi(options: AlibiOptions): BiasEncoding & {
  /** The paper's slopes (the initial values when learnable; the trained ones are `variables.slopes`). */
  readonly slopes: readonly number[];
} {
  requireOptions(FN, options, ['heads', 'learnable'], '`heads`');
  const { heads, learnable = false } = options;
  assertNumber(FN, 'options.heads', heads, { integer: true, min: 1 });
  if (typeof learnable !== 'boolean')
    throw new InvalidArgumentError(FN, 'options.learnable', 'a boolean', learnable);
  const initial = alibiSlopes(heads);
  const slopes = tf.keep(
    tf.tidy(() => {
      const t = tf.tensor1d(initial, 'float32');
      return learnable ? tf.variable(t, true) : t;
    }),
  );
  // The scalar form uses float32 slopes, as the tensor form does.
  const fixedValues = Float32Array.from(initial);
  const encoding = biasEncoding({
    fn: FN,
    name: 'alibi',
    heads,
    variables: learnable ? { slopes: slopes as tf.Variable } : {},
    block: ({ qStart, rows, kvStart, cols, headStart, headCount }) => {
      const qPos = tf.reshape(tf.range(qStart, qStart + rows, 1, 'float32'), [1, rows, 1]);
      const kvPos = tf.reshape(tf.range(kvStart, kvStart + cols, 1, 'float32'), [1, 1, cols]);
      const m = tf.reshape(tf.slice(slopes, [headStart], [headCount]), [headCount, 1, 1]);
      return tf.mul(tf.neg(m), tf.abs(tf.sub(qPos, kvPos))) as tf.Tensor3D;
    },
    scalar: (h, q, kv) =>
      -(learnable ? variableValues(slopes as tf.Variable) : fixedValues)[h]! * Math.abs(q - kv),
    dispose: () => slopes.dispose(),
  });
  return Object.freeze({ ...encoding, slopes: Object.freeze(initial) });
}

/**
 * Registry entry for {@link alibi}: capabilities, `describe()` text and a factory; `heads` comes from the context.
 * Paper: https://arxiv.org/abs/2108.12409
 *
 * @example
 * ```ts
 * const enc = alibiDefinition.create({ learnable: true }, { modelDim: 256, heads: 4, headDim: 64, maxLength: 512, seed: 0 });
 * ```
 */
export const alibiDefinition = defineEncoding<Omit<AlibiOptions, 'heads'>>({
  name: 'alibi',
  title: 'ALiBi',
  paper: paper(
    'Train Short, Test Long: Attention with Linear Biases Enables Input Length Extrapolation',
    'Press, Smith, Lewis',
    2022,
    'https://arxiv.org/abs/2108.12409',
    'ICLR',
  ),
  capabilities: { kind: 'bias', trainable: 'optional', extrapolates: true, extraMemory: 'O(heads) slopes' },
  options: defineOptions({
    learnable: {
      type: 'boolean',
      default: false,
      description: 'Make the slopes a trainable variable (initialised to the paper’s).',
    },
  }),
  contextOptions: ['heads'],
  description: {
    formula: 's_{h,i,j} = \\mathbf{q}_i\\cdot\\mathbf{k}_j - m_h\\,|i-j|,\\quad m_h = 2^{-8h/H}',
    strengths: [
      'Extrapolates: trained on 1024 tokens, it keeps its perplexity on much longer inputs.',
      'No parameters (or H learnable slopes); nothing added to the embeddings.',
    ],
    weaknesses: [
      'A fixed recency bias: distant tokens are penalised linearly, which can hurt long-range retrieval.',
      'Needs attention to take a score bias (a score modifier or an explicit bias tensor).',
    ],
  },
  create: (options, context) => alibi(withContext('alibi', options, { heads: context.heads })),
});
