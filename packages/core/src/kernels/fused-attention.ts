import type * as tf from '@tensorflow/tfjs-core';
import { scaledDotProductAttention } from '../scaled-dot-product-attention.js';
import { assertKnownOptions, attentionDims } from '../validation.js';
import { resolveAttentionScale, resolveCausal } from './attention-attrs.js';
import { defineKernelContract } from './kernel-contract.js';

/** Inputs of the fused attention kernel: `[batch, heads, seq, headDim]` tensors (kv heads may divide heads). */
export interface FusedAttentionInputs extends Record<string, tf.Tensor> {
  q: tf.Tensor;
  k: tf.Tensor;
  v: tf.Tensor;
}

/** Attributes of the fused attention kernel. */
export interface FusedAttentionAttrs {
  /** Multiplier of q·k: a finite number > 0. Default `1 / √headDim`. */
  scale?: number;
  /** Bottom-right-aligned causal masking (a boolean). Default `false`. */
  causal?: boolean;
}

const NAME = 'EAFusedAttention';

/**
 * The attribute rule of `EAFusedAttention`, applied by {@link fusedAttentionKernel}'s `run` (and its
 * `reference`) before any path runs, so every backend's kernel receives resolved attributes: q, k, v
 * checked by `attentionDims`; `scale` absent → 1/√headDim, else a finite number > 0; `causal` absent →
 * false, else a boolean; no other keys. Errors are `InvalidArgumentError`s naming `attrs.<name>`.
 *
 * @example
 * ```ts
 * resolveFusedAttentionAttrs({ q, k, v }, {}); // { scale: 1 / √d, causal: false }
 * ```
 */
export function resolveFusedAttentionAttrs(
  inputs: FusedAttentionInputs,
  attrs: FusedAttentionAttrs | undefined,
): Required<FusedAttentionAttrs> {
  const dims = attentionDims(NAME, inputs?.q, inputs?.k, inputs?.v);
  assertKnownOptions(NAME, attrs, ['scale', 'causal'], 'attrs');
  const a = attrs ?? {};
  return { scale: resolveAttentionScale(NAME, dims, a.scale), causal: resolveCausal(NAME, a.causal) };
}

/**
 * `EAFusedAttention`: softmax(q·kᵀ·scale [+ causal mask])·v in one kernel (flash-style tiling and online
 * softmax in the backends). Reference: {@link scaledDotProductAttention}. Attributes are resolved once by
 * {@link resolveFusedAttentionAttrs}; every path follows the NaN rule of core's README.
 *
 * @example
 * ```ts
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 1 / 8, causal: true });
 * fusedAttentionKernel.run({ q, k, v }, {}); // scale 1/√d, not causal
 * ```
 */
export const fusedAttentionKernel = defineKernelContract<FusedAttentionInputs, FusedAttentionAttrs>({
  name: NAME,
  inputNames: ['q', 'k', 'v'],
  resolveAttrs: resolveFusedAttentionAttrs,
  reference: ({ q, k, v }, { scale, causal }) => scaledDotProductAttention(q, k, v, { scale, causal }),
});
