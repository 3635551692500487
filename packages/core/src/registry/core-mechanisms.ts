import type * as tf from '@tensorflow/tfjs-core';
import { memoryEfficientAttention } from '../memory-efficient-attention.js';
import { scaledDotProductAttention } from '../scaled-dot-product-attention.js';
import { defineCapabilities, type MechanismApplyOptions, type MechanismDefinition } from './mechanism.js';
import { attentionMechanisms, type MechanismRegistry } from './mechanism-registry.js';
import { defineOptions } from './option-schema.js';
import { paper } from './paper-reference.js';

const exactDenseCapabilities = {
  accuracy: { kind: 'exact' },
  supportsCausal: true,
  supportsMask: true,
  supportsScoreMod: true,
  supportsCrossAttention: true,
  supportsGroupedQuery: true,
  requiresFixedLength: false,
  trainableParameters: false,
} as const;

/** `dense`: {@link scaledDotProductAttention}, O(N²) time and memory.  *
 * @example
 * ```ts
 * const dense = denseMechanism.create({}, { seed: 0, heads: 8, headDim: 64 });
 * const out = dense.apply(q, k, v, { causal: true });
 * ```
 */
export const denseMechanism: MechanismDefinition<Record<string, never>> = {
  name: 'dense',
  title: 'Dense (softmax)',
  description: 'Full softmax attention: every query attends to every key (the reference).',
  paper: paper(
    'Attention Is All You Need',
    'Vaswani et al.',
    2017,
    'https://arxiv.org/abs/1706.03762',
    'NeurIPS',
  ),
  capabilities: defineCapabilities({
    ...exactDenseCapabilities,
    family: 'dense',
    timeComplexity: 'O(N²·d)',
    memoryComplexity: 'O(N²)',
  }),
  options: defineOptions({}),
  defaultConfig: {},
  // The N² scores of 8 heads at N = 16384 take 8 GiB: past what a wasm heap holds.
  benchmark: { maxLength: 8192 },
  create: () => ({
    params: {},
    apply: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}) =>
      scaledDotProductAttention(q, k, v, options),
    denseEquivalent: (options) => options,
    dispose: () => {},
  }),
};

/** Config of the `memory-efficient` mechanism. */
export interface MemoryEfficientConfig {
  queryChunkSize: number;
  keyChunkSize: number;
}

/** `memory-efficient`: {@link memoryEfficientAttention}, O(N²) time, O(N·chunk) forward memory.  *
 * @example
 * ```ts
 * const me = memoryEfficientMechanism.create({ queryChunkSize: 256 }, { seed: 0, heads: 8, headDim: 64 });
 * ```
 */
export const memoryEfficientMechanism: MechanismDefinition<MemoryEfficientConfig> = {
  name: 'memory-efficient',
  title: 'Memory-efficient (chunked)',
  description: 'Exact attention over query/key chunks with an online softmax; memory grows with N·chunk.',
  paper: paper(
    'Self-attention Does Not Need O(n²) Memory',
    'Rabe, Staats',
    2021,
    'https://arxiv.org/abs/2112.05682',
    'arXiv',
  ),
  capabilities: defineCapabilities({
    ...exactDenseCapabilities,
    family: 'dense',
    timeComplexity: 'O(N²·d)',
    memoryComplexity: 'O(N·chunk)',
  }),
  options: defineOptions({
    queryChunkSize: {
      type: 'number',
      integer: true,
      min: 1,
      default: 512,
      description: 'Queries processed per chunk.',
    },
    keyChunkSize: {
      type: 'number',
      integer: true,
      min: 1,
      default: 4096,
      description: 'Keys per online-softmax step.',
    },
  }),
  defaultConfig: { queryChunkSize: 512, keyChunkSize: 4096 },
  benchmark: { maxLength: 16384 },
  create: (config) => {
    const c = { ...memoryEfficientMechanism.defaultConfig, ...config };
    return {
      params: {},
      apply: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}) =>
        memoryEfficientAttention(q, k, v, { ...options, ...c }),
      denseEquivalent: (options) => options,
      dispose: () => {},
    };
  },
};

/** Every mechanism definition of core, in table order. */
export const coreMechanisms: readonly MechanismDefinition[] = Object.freeze([
  denseMechanism,
  memoryEfficientMechanism,
]);

/**
 * Registers `dense` and `memory-efficient` in `registry` (default: {@link attentionMechanisms}).
 *
 * @example
 * ```ts
 * registerCoreMechanisms();
 * attentionMechanisms.get('memory-efficient').capabilities.memoryComplexity; // 'O(N·chunk)'
 * ```
 */
export function registerCoreMechanisms(registry: MechanismRegistry = attentionMechanisms): void {
  for (const d of coreMechanisms) registry.register(d);
}
