import {
  assertKnownOptions,
  defineCapabilities,
  defineOptions,
  InvalidArgumentError,
  type MechanismApplyOptions,
  type MechanismCapabilities,
  type MechanismDefinition,
  paper,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { adaptivelySparseAttention } from './adaptively-sparse-attention.js';
import { resolveConfig } from './mechanism-config.js';

/** Config of the `entmax-alpha` mechanism. */
export interface EntmaxAlphaConfig {
  /** The initial α of every head, in (1.01, 2). Default 1.5 (Correia et al.'s initialisation). */
  initialAlpha: number;
  /** Bisection steps. Default 25. */
  iterations: number;
}

/** α = 1.01 + 0.99·σ(a): Correia et al.'s α ∈ (1, 2), kept 0.01 from softmax where 1/(α − 1) overflows float32. */
const ALPHA_MIN = 1.01;
const ALPHA_RANGE = 2 - ALPHA_MIN;

/**
 * The α of `entmax-alpha` from its parameter a: α = 1.01 + 0.99·σ(a), in (1.01, 2) (Correia, Niculae &
 * Martins 2019, https://arxiv.org/abs/1909.00015, §3.2 learn α per head; the 0.01 margin from softmax keeps
 * 1/(α − 1) finite in float32). Elementwise; call it inside `tf.tidy`.
 *
 * @example
 * ```ts
 * const alpha = tf.tidy(() => entmaxAlphaFromLogit(attn.params.alphaLogit!)); // [heads]
 * ```
 */
export function entmaxAlphaFromLogit(alphaLogit: tf.Tensor): tf.Tensor {
  return tf.add(ALPHA_MIN, tf.mul(ALPHA_RANGE, tf.sigmoid(alphaLogit)));
}

function normalizerCapabilities(
  note: string,
  timeComplexity: string,
  trainableParameters: boolean,
): MechanismCapabilities {
  return defineCapabilities({
    family: 'adaptive',
    accuracy: { kind: 'different', note },
    supportsCausal: true,
    supportsMask: true,
    supportsScoreMod: true,
    supportsCrossAttention: true,
    supportsGroupedQuery: true,
    requiresFixedLength: false,
    timeComplexity,
    memoryComplexity: 'O(N²)',
    trainableParameters,
  });
}

/** The apply options every normaliser mechanism accepts (core's: causal, mask, scoreMod). */
function applyOptions(name: string, options: MechanismApplyOptions): MechanismApplyOptions {
  assertKnownOptions(`${name}.apply`, options, ['causal', 'mask', 'scoreMod']);
  return options;
}

/**
 * `sparsemax`: attention with sparsemax instead of softmax (Martins & Astudillo 2016,
 * https://arxiv.org/abs/1602.02068) — weights exactly zero below a per-row threshold. A different function
 * from softmax attention by design.
 *
 * @example
 * ```ts
 * registerAdaptive();
 * const attn = attentionMechanisms.get('sparsemax').create({}, { seed: 0, heads: 8, headDim: 64 });
 * const out = attn.apply(q, k, v, { causal: true });
 * ```
 */
export const sparsemaxMechanism: MechanismDefinition<Record<string, never>> = {
  name: 'sparsemax',
  title: 'Sparsemax',
  description: 'Attention normalised by sparsemax (Euclidean projection onto the simplex): exact zeros.',
  paper: paper(
    'From Softmax to Sparsemax: A Sparse Model of Attention and Multi-Label Classification',
    'Martins, Astudillo',
    2016,
    'https://arxiv.org/abs/1602.02068',
    'ICML',
  ),
  capabilities: normalizerCapabilities(
    'sparsemax instead of softmax: sparse weights by design',
    'O(N²·d + N² log N)',
    false,
  ),
  options: defineOptions({}),
  defaultConfig: {},
  create: (config) => {
    resolveConfig(sparsemaxMechanism, config, 'sparsemax.create');
    return {
      params: {},
      apply: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}) =>
        adaptivelySparseAttention(q, k, v, {
          ...applyOptions('sparsemax', options),
          normalizer: 'sparsemax',
        }),
      dispose: () => {},
    };
  },
};

/**
 * `entmax15`: attention with 1.5-entmax instead of softmax (Peters, Niculae & Martins 2019,
 * https://arxiv.org/abs/1905.05702) — smooth on the support, exactly zero off it.
 *
 * @example
 * ```ts
 * registerAdaptive();
 * const attn = attentionMechanisms.get('entmax15').create({}, { seed: 0, heads: 8, headDim: 64 });
 * const out = attn.apply(q, k, v);
 * ```
 */
export const entmax15Mechanism: MechanismDefinition<Record<string, never>> = {
  name: 'entmax15',
  title: '1.5-entmax',
  description: 'Attention normalised by 1.5-entmax (exact sort-based threshold): sparse, smooth weights.',
  paper: paper(
    'Sparse Sequence-to-Sequence Models',
    'Peters, Niculae, Martins',
    2019,
    'https://arxiv.org/abs/1905.05702',
    'ACL',
  ),
  capabilities: normalizerCapabilities(
    '1.5-entmax instead of softmax: sparse weights by design',
    'O(N²·d + N² log N)',
    false,
  ),
  options: defineOptions({}),
  defaultConfig: {},
  create: (config) => {
    resolveConfig(entmax15Mechanism, config, 'entmax15.create');
    return {
      params: {},
      apply: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}) =>
        adaptivelySparseAttention(q, k, v, { ...applyOptions('entmax15', options), normalizer: 'entmax15' }),
      dispose: () => {},
    };
  },
};

/**
 * `entmax-alpha`: attention with α-entmax and a learnable α per head (Correia, Niculae & Martins 2019,
 * "Adaptively Sparse Transformers", https://arxiv.org/abs/1909.00015): each head learns how sparse to be,
 * from near-softmax (α → 1.01) to sparsemax (α → 2). `params.alphaLogit` is a, with
 * α = 1.01 + 0.99·σ(a) ({@link entmaxAlphaFromLogit}); gradients reach it through entmax's closed-form α
 * derivative. Hook: `inspect()` gives `{ alpha }`, α per head.
 *
 * @example
 * ```ts
 * registerAdaptive();
 * const attn = attentionMechanisms.get('entmax-alpha').create({ initialAlpha: 1.5 }, { seed: 0, heads: 8, headDim: 64 });
 * const out = attn.apply(q, k, v, { causal: true }); // train attn.params.alphaLogit with the model
 * ```
 */
export const entmaxAlphaMechanism: MechanismDefinition<EntmaxAlphaConfig> = {
  name: 'entmax-alpha',
  title: 'α-entmax (learned α)',
  description: 'Attention normalised by α-entmax with a learnable α per head (adaptively sparse).',
  paper: paper(
    'Adaptively Sparse Transformers',
    'Correia, Niculae, Martins',
    2019,
    'https://arxiv.org/abs/1909.00015',
    'EMNLP',
  ),
  capabilities: normalizerCapabilities(
    'α-entmax instead of softmax: sparsity learned per head',
    'O(N²·(d + iterations))',
    true,
  ),
  options: defineOptions({
    initialAlpha: {
      type: 'number',
      min: ALPHA_MIN,
      max: 2,
      exclusive: true,
      default: 1.5,
      description: `The initial α of every head, in the open interval (${ALPHA_MIN}, 2): near ${ALPHA_MIN} is almost softmax, 2 is sparsemax.`,
    },
    iterations: {
      type: 'number',
      integer: true,
      min: 1,
      default: 25,
      description: 'Bisection steps of the entmax threshold.',
    },
  }),
  defaultConfig: { initialAlpha: 1.5, iterations: 25 },
  create: (config, context) => {
    const fn = 'entmax-alpha.create';
    const c = resolveConfig(entmaxAlphaMechanism, config, fn);
    // The schema's range is closed; α = 1.01 or 2 needs σ(a) = 0 or 1, an infinite a.
    if (!(c.initialAlpha > ALPHA_MIN && c.initialAlpha < 2)) {
      throw new InvalidArgumentError(
        fn,
        'config.initialAlpha',
        `a number in (${ALPHA_MIN}, 2)`,
        c.initialAlpha,
      );
    }
    const ratio = (c.initialAlpha - ALPHA_MIN) / ALPHA_RANGE;
    const init = tf.fill([context.heads], Math.log(ratio / (1 - ratio)));
    // tf.variable keeps its own reference to the data: free the initial value.
    const alphaLogit = tf.variable(init);
    init.dispose();
    return {
      params: { alphaLogit },
      apply: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}) =>
        tf.tidy(() =>
          adaptivelySparseAttention(q, k, v, {
            ...applyOptions('entmax-alpha', options),
            normalizer: 'entmax',
            alpha: entmaxAlphaFromLogit(alphaLogit),
            iterations: c.iterations,
          }),
        ),
      inspect: () => {
        const alpha = tf.tidy(() => entmaxAlphaFromLogit(alphaLogit));
        const values = Array.from(alpha.dataSync());
        alpha.dispose();
        return { alpha: values };
      },
      dispose: () => alphaLogit.dispose(),
    };
  },
};
