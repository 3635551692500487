import {
  assertKnownOptions,
  defineCapabilities,
  defineOptions,
  IncompatibleOptionsError,
  InvalidArgumentError,
  type MechanismApplyOptions,
  type MechanismDefinition,
  paper,
  resolveOptions,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { type HammingAttentionOptions, hammingAttention } from './hamming-attention.js';

/** Config of the `hamming` mechanism. */
export interface HammingConfig {
  /** sign()'s straight-through estimator for q and k (see {@link HammingAttentionOptions}). Default `'clipped'`. */
  ste: 'clipped' | 'identity';
}

/**
 * `hamming` (experimental): {@link hammingAttention} as a registry mechanism — softmax over the
 * XNOR-popcount similarity of sign-binarised q and k, scaled by 1/√d, times float v. Family `quantized`;
 * accuracy `different` (it is not an approximation of softmax attention). Causal, cross-attention and
 * grouped-query inputs work; masks and score modifiers are refused. No parameters.
 * Paper: XNOR-Net, https://arxiv.org/abs/1603.05279. Decoding: the default KV cache (it supports
 * cross-attention, so one new query attends over the cached keys).
 *
 * @example
 * ```ts
 * const registry = createMechanismRegistry();
 * registerBitnet(registry);
 * const attn = registry.get('hamming').create({}, { seed: 0, heads: 2, headDim: 16 });
 * attn.apply(q, k, v, { causal: true });
 * ```
 */
export const hammingMechanism: MechanismDefinition<HammingConfig> = {
  name: 'hamming',
  title: 'Hamming (XNOR-popcount)',
  paper: paper(
    'XNOR-Net: ImageNet Classification Using Binary Convolutional Neural Networks',
    'Rastegari, Ordonez, Redmon, Farhadi',
    2016,
    'https://arxiv.org/abs/1603.05279',
    'ECCV',
  ),
  description:
    'Experimental: softmax over sign(q)·sign(k) computed by XNOR-popcount on packed sign bits (Hamming similarity), times float v.',
  capabilities: defineCapabilities({
    family: 'quantized',
    accuracy: {
      kind: 'different',
      note: 'Attends with the Hamming similarity d − 2·popcount(sign q XOR sign k), not q·k: a different function.',
    },
    supportsCausal: true,
    supportsMask: false,
    supportsScoreMod: false,
    supportsCrossAttention: true,
    supportsGroupedQuery: true,
    requiresFixedLength: false,
    timeComplexity: 'O(N²·d/32) similarity + O(N²·d) P·V',
    memoryComplexity: 'O(N²)',
    trainableParameters: false,
  }),
  options: defineOptions({
    ste: {
      type: 'enum',
      values: ['clipped', 'identity'],
      default: 'clipped',
      description:
        "Straight-through estimator of sign() for q and k: 'clipped' passes the gradient where |x| ≤ 1 (BNN's hardtanh), 'identity' everywhere.",
    },
  }),
  defaultConfig: { ste: 'clipped' },
  create(config) {
    // The message of the original check (quotes the values, says what they are) beats the schema's: keep it.
    const ste = config?.ste ?? hammingMechanism.defaultConfig.ste;
    if (ste !== 'clipped' && ste !== 'identity') {
      throw new InvalidArgumentError('hamming.create', 'config.ste', '"clipped" or "identity"', ste);
    }
    resolveOptions('hamming.create', 'config', hammingMechanism.options, config);
    return {
      params: {},
      apply(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}): tf.Tensor4D {
        assertKnownOptions('hamming.apply', options, ['causal', 'mask', 'scoreMod']);
        if (options.mask !== undefined) {
          throw new IncompatibleOptionsError(
            'hamming.apply',
            'Hamming attention does not take a mask (capabilities.supportsMask is false); use `causal`, or a dense mechanism for arbitrary masks.',
          );
        }
        if (options.scoreMod !== undefined) {
          throw new IncompatibleOptionsError(
            'hamming.apply',
            'Hamming attention does not take a score modifier (capabilities.supportsScoreMod is false).',
          );
        }
        return hammingAttention(q, k, v, {
          ste,
          ...(options.causal !== undefined ? { causal: options.causal } : {}),
        });
      },
      dispose() {},
    };
  },
};
