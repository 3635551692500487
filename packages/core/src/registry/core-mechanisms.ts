import type * as tf from '@tensorflow/tfjs-core';
import { memoryEfficientAttention } from '../memory-efficient-attention.js';
import { scaledDotProductAttention } from '../scaled-dot-product-attention.js';
import { defineCapabilities, type MechanismApplyOptions, type MechanismDefinition } from './mechanism.js';
import { attentionMechanisms, type MechanismRegistry } from './mechanism-registry.js';

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
  description: 'Full softmax attention: every query attends to every key (the reference).',
  capabilities: defineCapabilities({
    ...exactDenseCapabilities,
    family: 'dense',
    timeComplexity: 'O(N²·d)',
    memoryComplexity: 'O(N²)',
    paper: 'https://arxiv.org/abs/1706.03762',
  }),
  defaultConfig: {},
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
  description: 'Exact attention over query/key chunks with an online softmax; memory grows with N·chunk.',
  capabilities: defineCapabilities({
    ...exactDenseCapabilities,
    family: 'dense',
    timeComplexity: 'O(N²·d)',
    memoryComplexity: 'O(N·chunk)',
    paper: 'https://arxiv.org/abs/2112.05682',
  }),
  defaultConfig: { queryChunkSize: 512, keyChunkSize: 4096 },
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
  registry.register(denseMechanism as MechanismDefinition);
  registry.register(memoryEfficientMechanism as MechanismDefinition);
}
