import {
  assertKnownOptions,
  assertNumber,
  defineCapabilities,
  IncompatibleOptionsError,
  InvalidArgumentError,
  type MechanismApplyOptions,
  type MechanismDefinition,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { AdaptiveSpan } from './adaptive-span.js';
import { DynamicSpan } from './dynamic-span.js';
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

const SPAN_CONFIG_KEYS = ['maxSpan', 'rampSize', 'initialSpan', 'blockSize', 'execution'] as const;

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

/** Validates a `blockSize`/`execution` pair early (at create time rather than first apply). */
function assertSpanExecution(fn: string, blockSize: unknown, execution: unknown): void {
  assertNumber(fn, 'config.blockSize', blockSize, { integer: true, min: 1 });
  if (execution !== 'block-sparse' && execution !== 'dense') {
    throw new InvalidArgumentError(fn, 'config.execution', "'block-sparse' or 'dense'", execution);
  }
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
    paper: 'https://arxiv.org/abs/1905.07799',
  });
}

/**
 * `adaptive-span`: softmax attention under a learnable per-head span z (Sukhbaatar et al. 2019,
 * https://arxiv.org/abs/1905.07799) executed block-sparse over the largest trimmed span. `params.span` is
 * z (`[heads]`). Exact: `denseEquivalent` gives dense attention with the same ramp score modifier, so the
 * conformance test checks the block-sparse execution against it.
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
  description: 'Softmax attention under a learned per-head span (soft ramp mask), computed only within it.',
  capabilities: spanCapabilities({ kind: 'exact' }),
  defaultConfig: { maxSpan: 1024, rampSize: 32, initialSpan: 0, blockSize: 64, execution: 'block-sparse' },
  create: (config, context) => {
    assertKnownOptions('adaptive-span.create', config, SPAN_CONFIG_KEYS);
    const c = { ...adaptiveSpanMechanism.defaultConfig, ...config };
    assertSpanExecution('adaptive-span.create', c.blockSize, c.execution);
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
 * @example
 * ```ts
 * registerAdaptive();
 * const attn = attentionMechanisms.get('dynamic-span').create({ maxSpan: 512 }, { seed: 1, heads: 8, headDim: 64 });
 * const out = attn.apply(q, k, v, { causal: true });
 * ```
 */
export const dynamicSpanMechanism: MechanismDefinition<DynamicSpanConfig> = {
  name: 'dynamic-span',
  description: 'Softmax attention under a span predicted per query from its vector (soft ramp mask).',
  capabilities: spanCapabilities({
    kind: 'different',
    note: 'The span mask depends on q (z_t = S·σ(vᵀq_t + b)); checked against the float64 reference in dynamic-span.test.ts.',
  }),
  defaultConfig: { maxSpan: 1024, rampSize: 32, initialSpan: 32, blockSize: 64, execution: 'block-sparse' },
  create: (config, context) => {
    assertKnownOptions('dynamic-span.create', config, SPAN_CONFIG_KEYS);
    const c = { ...dynamicSpanMechanism.defaultConfig, ...config };
    assertSpanExecution('dynamic-span.create', c.blockSize, c.execution);
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
      dispose: () => span.dispose(),
    };
  },
};
