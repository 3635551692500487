import {
  assertKnownOptions,
  assertNumber,
  defineCapabilities,
  InvalidArgumentError,
  type MechanismApplyOptions,
  type MechanismCapabilities,
  type MechanismDefinition,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { adaptivelySparseAttention } from './adaptively-sparse-attention.js';

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

function normalizerCapabilities(
  note: string,
  timeComplexity: string,
  trainableParameters: boolean,
  paper: string,
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
    paper,
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
  description: 'Attention normalised by sparsemax (Euclidean projection onto the simplex): exact zeros.',
  capabilities: normalizerCapabilities(
    'sparsemax instead of softmax: sparse weights by design',
    'O(N²·d + N² log N)',
    false,
    'https://arxiv.org/abs/1602.02068',
  ),
  defaultConfig: {},
  create: (config) => {
    assertKnownOptions('sparsemax.create', config, []);
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
  description: 'Attention normalised by 1.5-entmax (exact sort-based threshold): sparse, smooth weights.',
  capabilities: normalizerCapabilities(
    '1.5-entmax instead of softmax: sparse weights by design',
    'O(N²·d + N² log N)',
    false,
    'https://arxiv.org/abs/1905.05702',
  ),
  defaultConfig: {},
  create: (config) => {
    assertKnownOptions('entmax15.create', config, []);
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
 * α = 1.01 + 0.99·σ(a); gradients reach it through entmax's closed-form α derivative.
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
  description: 'Attention normalised by α-entmax with a learnable α per head (adaptively sparse).',
  capabilities: normalizerCapabilities(
    'α-entmax instead of softmax: sparsity learned per head',
    'O(N²·(d + iterations))',
    true,
    'https://arxiv.org/abs/1909.00015',
  ),
  defaultConfig: { initialAlpha: 1.5, iterations: 25 },
  create: (config, context) => {
    const fn = 'entmax-alpha.create';
    assertKnownOptions(fn, config, ['initialAlpha', 'iterations']);
    const c = { ...entmaxAlphaMechanism.defaultConfig, ...config };
    assertNumber(fn, 'config.initialAlpha', c.initialAlpha);
    if (!(c.initialAlpha > ALPHA_MIN && c.initialAlpha < 2)) {
      throw new InvalidArgumentError(
        fn,
        'config.initialAlpha',
        `a number in (${ALPHA_MIN}, 2)`,
        c.initialAlpha,
      );
    }
    assertNumber(fn, 'config.iterations', c.iterations, { integer: true, min: 1 });
    const ratio = (c.initialAlpha - ALPHA_MIN) / ALPHA_RANGE;
    const alphaLogit = tf.variable(tf.fill([context.heads], Math.log(ratio / (1 - ratio))));
    return {
      params: { alphaLogit },
      apply: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}) =>
        tf.tidy(() =>
          adaptivelySparseAttention(q, k, v, {
            ...applyOptions('entmax-alpha', options),
            normalizer: 'entmax',
            alpha: tf.add(ALPHA_MIN, tf.mul(ALPHA_RANGE, tf.sigmoid(alphaLogit))),
            iterations: c.iterations,
          }),
        ),
      dispose: () => alphaLogit.dispose(),
    };
  },
};
