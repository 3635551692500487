import {
  assertKnownOptions,
  type DecodingPlan,
  defineCapabilities,
  defineOptions,
  IncompatibleOptionsError,
  type MechanismApplyOptions,
  type MechanismDefinition,
  type NumberOption,
  paper,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveSpan } from './adaptive-span.js';
import { DynamicSpan } from './dynamic-span.js';
import { resolveConfig } from './mechanism-config.js';
import type { SpanExecution } from './span-attention.js';

/** Config of the `adaptive-span` mechanism (see {@link AdaptiveSpan}). */
export interface AdaptiveSpanConfig {
  /** S, the maximum span. Default 1024. */
  maxSpan: number;
  /** R, the ramp width. Default 32. */
  rampSize: number;
  /** Initial z of every head. Default 0 (the paper's). */
  initialSpan: number;
  /** Block size of the block-sparse execution. Default 64. */
  blockSize: number;
  /** `'block-sparse'` (default) or `'dense'`. */
  execution: SpanExecution;
}

/** Config of the `dynamic-span` mechanism (see {@link DynamicSpan}). */
export interface DynamicSpanConfig {
  /** S, the maximum span. Default 1024. */
  maxSpan: number;
  /** R, the ramp width. Default 32. */
  rampSize: number;
  /** The span predicted for a zero query. Default 32. */
  initialSpan: number;
  /** Block size of the block-sparse execution. Default 64. */
  blockSize: number;
  /** `'block-sparse'` (default) or `'dense'`. */
  execution: SpanExecution;
}

/** Both span mechanisms come from one paper (§2 learned span, §3.2 dynamic span). */
const ADAPTIVE_SPAN_PAPER = paper(
  'Adaptive Attention Span in Transformers',
  'Sukhbaatar, Grave, Bojanowski, Joulin',
  2019,
  'https://arxiv.org/abs/1905.07799',
  'ACL',
);

/** The option schema both span mechanisms share; only `initialSpan` differs (its range and default). */
function spanOptions(initialSpan: NumberOption) {
  return defineOptions({
    maxSpan: {
      type: 'number',
      integer: true,
      min: 1,
      default: 1024,
      description: 'S, the largest span in tokens: keys farther than S from the query are never attended.',
    },
    rampSize: {
      type: 'number',
      positive: true,
      default: 32,
      description: 'R, the width in tokens of the soft ramp m_z(x) = clamp((R + z − x)/R, 0, 1).',
    },
    initialSpan,
    blockSize: {
      type: 'number',
      integer: true,
      min: 1,
      default: 64,
      description: 'Block size of the block-sparse execution, in tokens.',
    },
    execution: {
      type: 'enum',
      values: ['block-sparse', 'dense'],
      default: 'block-sparse',
      description:
        "'block-sparse' visits only the blocks within the largest trimmed span; 'dense' scores every key (same result).",
    },
  });
}

/** The options of {@link AdaptiveSpanConfig}: `initialSpan` ∈ [0, maxSpan]. */
const adaptiveSpanOptions = spanOptions({
  type: 'number',
  min: 0,
  default: 0,
  description: 'The initial span z of every head, in tokens, in [0, maxSpan] (the paper starts at 0).',
});

/** The options of {@link DynamicSpanConfig}: `initialSpan` ∈ (0, maxSpan). */
const dynamicSpanOptions = spanOptions({
  type: 'number',
  positive: true,
  default: 32,
  description:
    'The span predicted for a zero query, in tokens, in (0, maxSpan): sets the bias b = logit(z₀/S).',
});

/**
 * λ of the span penalty when a model config gives none: the paper's character-level experiments
 * (Sukhbaatar et al. 2019, §4, https://arxiv.org/abs/1905.07799).
 */
const DEFAULT_SPAN_PENALTY = 2e-6;

/**
 * Both span mechanisms attend from the new query over all cached keys and values with their own apply
 * (queries are aligned to the end of the keys), though they refuse general cross-attention.
 */
const SPAN_DECODING: DecodingPlan = Object.freeze({ kind: 'kv-cache', attend: 'instance' });

/** Accepts `causal` only: a span decides which keys each query sees, so masks and score modifiers are refused. */
function spanApplyOptions(name: string, options: MechanismApplyOptions): { causal?: boolean } {
  const fn = `${name}.apply`;
  if (options.mask !== undefined || options.scoreMod !== undefined) {
    throw new IncompatibleOptionsError(
      fn,
      `'${name}' takes no \`mask\` or \`scoreMod\`: its learned span mask decides which keys each query sees. ` +
        'To combine a span with other masks, pass spanRampScoreMod(...) to core attention yourself.',
    );
  }
  assertKnownOptions(fn, options, ['causal', 'mask', 'scoreMod']);
  return options.causal === undefined ? {} : { causal: options.causal };
}

function spanCapabilities(accuracy: MechanismDefinition['capabilities']['accuracy']) {
  return defineCapabilities({
    family: 'adaptive',
    accuracy,
    supportsCausal: true,
    supportsMask: false,
    supportsScoreMod: false,
    // Queries are aligned to the end of the keys: qLen ≤ kvLen (KV-cache decoding) works, general
    // cross-attention (no shared positions) does not.
    supportsCrossAttention: false,
    supportsGroupedQuery: true,
    requiresFixedLength: false,
    timeComplexity: 'O(N·W·d), W = largest trimmed span',
    memoryComplexity: 'O(N·W)',
    trainableParameters: true,
  });
}

/**
 * `adaptive-span`: softmax attention under a learnable per-head span z (Sukhbaatar et al. 2019,
 * https://arxiv.org/abs/1905.07799) executed block-sparse over the largest trimmed span. `params.span` is
 * z (`[heads]`). Exact: `denseEquivalent` gives dense attention with the same ramp score modifier, so the
 * conformance test checks the block-sparse execution against it.
 *
 * Hooks: `auxiliaryLoss(λ)` is the span penalty λ·mean(z) of this layer's heads ({@link AdaptiveSpan.penalty};
 * a mean, so a model of L layers passes λ/L to each to penalise the mean over all its spans),
 * `constrain()` clamps z to [0, S] (the paper does so after every update), `inspect()` gives
 * `{ spans }` (z per head, in tokens), and decoding keeps a KV cache attended by the instance itself.
 *
 * @example
 * ```ts
 * registerAdaptive();
 * const attn = attentionMechanisms.get('adaptive-span').create({ initialSpan: 32 }, { seed: 0, heads: 8, headDim: 64 });
 * const out = attn.apply(q, k, v, { causal: true });
 * ```
 */
export const adaptiveSpanMechanism: MechanismDefinition<AdaptiveSpanConfig> = {
  name: 'adaptive-span',
  title: 'Adaptive span',
  description: 'Softmax attention under a learned per-head span (soft ramp mask), computed only within it.',
  paper: ADAPTIVE_SPAN_PAPER,
  capabilities: spanCapabilities({ kind: 'exact' }),
  options: adaptiveSpanOptions,
  defaultConfig: { maxSpan: 1024, rampSize: 32, initialSpan: 0, blockSize: 64, execution: 'block-sparse' },
  regularization: Object.freeze({
    key: 'spanPenalty',
    defaultWeight: DEFAULT_SPAN_PENALTY,
    description:
      'λ of the ℓ1 span penalty λ·mean(z) per layer (Sukhbaatar et al. 2019, §3.2), which shrinks each head to the context it needs.',
  }),
  create: (config, context) => {
    // `initialSpan ≤ maxSpan` depends on two keys: AdaptiveSpan checks it.
    const c = resolveConfig(adaptiveSpanMechanism, config, 'adaptive-span.create');
    const span = new AdaptiveSpan({
      heads: context.heads,
      maxSpan: c.maxSpan,
      rampSize: c.rampSize,
      initialSpan: c.initialSpan,
    });
    return {
      params: { span: span.span },
      apply: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}) =>
        span.attention(q, k, v, {
          ...spanApplyOptions('adaptive-span', options),
          blockSize: c.blockSize,
          execution: c.execution,
        }),
      denseEquivalent: (options, shape) => ({
        ...spanApplyOptions('adaptive-span', options),
        scoreMod: span.scoreMod({ offset: shape.kvLen - shape.qLen }),
      }),
      auxiliaryLoss: (weight) => span.penalty(weight),
      constrain: () => span.clamp(),
      inspect: () => ({ spans: Array.from(span.span.dataSync()) }),
      decoding: () => SPAN_DECODING,
      dispose: () => span.dispose(),
    };
  },
};

/**
 * `dynamic-span`: softmax attention under a span predicted from each query, `z_t = S·σ(vᵀq_t + b)`
 * (Sukhbaatar et al. 2019, §3.2, https://arxiv.org/abs/1905.07799), executed block-sparse. `params` are
 * `weights` v `[heads, headDim]` and `bias` b `[heads]`. Its dense equivalent depends on q, so it is
 * declared `different`; `dynamic-span.test.ts` checks it against the float64 reference.
 *
 * Hooks: `inspect()` gives `{ biasSpans }`, the span each head predicts for a zero query, S·σ(b) (the
 * per-query spans depend on the input; `DynamicSpan.predict` gives those), and decoding keeps a KV cache
 * attended by the instance itself.
 *
 * @example
 * ```ts
 * registerAdaptive();
 * const attn = attentionMechanisms.get('dynamic-span').create({ maxSpan: 512 }, { seed: 1, heads: 8, headDim: 64 });
 * const out = attn.apply(q, k, v, { causal: true });
 * ```
 */
export const dynamicSpanMechanism: MechanismDefinition<DynamicSpanConfig> = {
  name: 'dynamic-span',
  title: 'Dynamic span',
  description: 'Softmax attention under a span predicted per query from its vector (soft ramp mask).',
  paper: ADAPTIVE_SPAN_PAPER,
  capabilities: spanCapabilities({
    kind: 'different',
    note: 'The span mask depends on q (z_t = S·σ(vᵀq_t + b)); checked against the float64 reference in dynamic-span.test.ts.',
  }),
  options: dynamicSpanOptions,
  defaultConfig: { maxSpan: 1024, rampSize: 32, initialSpan: 32, blockSize: 64, execution: 'block-sparse' },
  create: (config, context) => {
    // `initialSpan < maxSpan` depends on two keys: DynamicSpan checks it.
    const c = resolveConfig(dynamicSpanMechanism, config, 'dynamic-span.create');
    const span = new DynamicSpan({
      heads: context.heads,
      inputDim: context.headDim,
      maxSpan: c.maxSpan,
      rampSize: c.rampSize,
      initialSpan: c.initialSpan,
      seed: context.seed,
    });
    return {
      params: { weights: span.weights, bias: span.bias },
      apply: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}) =>
        span.attention(q, k, v, {
          ...spanApplyOptions('dynamic-span', options),
          blockSize: c.blockSize,
          execution: c.execution,
        }),
      inspect: () => {
        const spans = tf.tidy(() => tf.mul(tf.sigmoid(span.bias), span.maxSpan));
        const biasSpans = Array.from(spans.dataSync());
        spans.dispose();
        return { biasSpans };
      },
      decoding: () => SPAN_DECODING,
      dispose: () => span.dispose(),
    };
  },
};
