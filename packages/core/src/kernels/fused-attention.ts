import type * as tf from '@tensorflow/tfjs-core';
import { scaledDotProductAttention } from '../scaled-dot-product-attention.js';
import { defineKernelContract } from './kernel-contract.js';

/** Inputs of the fused attention kernel: `[batch, heads, seq, headDim]` tensors (kv heads may divide heads). */
export interface FusedAttentionInputs extends Record<string, tf.Tensor> {
  q: tf.Tensor;
  k: tf.Tensor;
  v: tf.Tensor;
}

/** Attributes of the fused attention kernel. */
export interface FusedAttentionAttrs {
  /** Multiplier of q·k. */
  scale: number;
  /** Bottom-right-aligned causal masking. */
  causal: boolean;
}

/**
 * `EAFusedAttention`: softmax(q·kᵀ·scale [+ causal mask])·v in one kernel (flash-style tiling and online
 * softmax in the backends). Reference: {@link scaledDotProductAttention}.
 *
 * @example
 * ```ts
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 1 / 8, causal: true });
 * ```
 */
export const fusedAttentionKernel = defineKernelContract<FusedAttentionInputs, FusedAttentionAttrs>({
  name: 'EAFusedAttention',
  inputNames: ['q', 'k', 'v'],
  reference: ({ q, k, v }, { scale, causal }) => scaledDotProductAttention(q, k, v, { scale, causal }),
});
