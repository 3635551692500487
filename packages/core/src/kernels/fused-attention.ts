import type * as tf from '@tensorflow/tfjs-core';
import { scaledDotProductAttentionReference } from '../scaled-dot-product-attention.js';
import { assertKnownOptions, attentionDims } from '../validation.js';
import { resolveAttentionScale, resolveCausal } from './attention-attrs.js';
import {
  attentionGradReference,
  attentionLogSumExpReference,
  checkAttentionGradOperands,
} from './attention-grad-reference.js';
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
const GRAD_NAME = 'EAFusedAttentionGrad';

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

/** Inputs of the fused attention backward kernel: the forward's inputs, output and row log-sum-exp, and dOut. */
export interface FusedAttentionGradInputs extends Record<string, tf.Tensor> {
  q: tf.Tensor;
  k: tf.Tensor;
  v: tf.Tensor;
  /** The forward output `[batch, heads, qLen, valueDim]`. */
  out: tf.Tensor;
  /** The gradient of the loss with respect to `out`. */
  dOut: tf.Tensor;
  /** Float32 `[batch, heads, qLen]`: each row's natural log-sum-exp of its visible scaled scores (−∞: none). */
  logSumExp: tf.Tensor;
}

/**
 * `EAFusedAttentionGrad`: the backward of {@link fusedAttentionKernel} — FlashAttention-2's backward
 * (Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 2) in the backends: P recomputed tile by tile from
 * the saved log-sum-exp, D = rowsum(dO ∘ O), dS = P ∘ (dP − D); O(N) extra memory. Returns `[dq, dk, dv]`
 * shaped like q, k, v (grouped-query heads: dk, dv summed over each kv head's query heads); rows with no
 * visible key give zero gradients. Attributes: the forward's, resolved by {@link resolveFusedAttentionAttrs}.
 * Reference: {@link attentionGradReference} (tfjs ops, N² memory).
 *
 * @example
 * ```ts
 * const [dq, dk, dv] = fusedAttentionGradKernel.runOutputs({ q, k, v, out, dOut, logSumExp }, { scale, causal });
 * ```
 */
export const fusedAttentionGradKernel = defineKernelContract<
  FusedAttentionGradInputs,
  FusedAttentionAttrs,
  tf.Tensor[]
>({
  name: GRAD_NAME,
  inputNames: ['q', 'k', 'v', 'out', 'dOut', 'logSumExp'],
  resolveAttrs: (inputs, attrs) => {
    const resolved = resolveFusedAttentionAttrs(inputs, attrs);
    checkAttentionGradOperands(GRAD_NAME, inputs, attentionDims(GRAD_NAME, inputs.q, inputs.k, inputs.v));
    return resolved;
  },
  reference: ({ q, k, v, out, dOut, logSumExp }, { scale, causal }) =>
    attentionGradReference(
      { q, k, v, out, dOut, logSumExp },
      { dims: attentionDims(NAME, q, k, v), scale: scale!, causal: causal! },
    ),
});

/**
 * `EAFusedAttention`: softmax(q·kᵀ·scale [+ causal mask])·v in one kernel (flash-style tiling and online
 * softmax in the backends). Reference: {@link scaledDotProductAttention}. Attributes are resolved once by
 * {@link resolveFusedAttentionAttrs}; every path follows the NaN rule of core's README.
 *
 * Kernels may return a second output, each row's log-sum-exp (float32 `[batch, heads, qLen]`), which the
 * registered gradient saves for {@link fusedAttentionGradKernel}; for a kernel that returns only the output,
 * the gradient computes it with tfjs ops. `run` returns the output alone.
 *
 * @example
 * ```ts
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 1 / 8, causal: true });
 * fusedAttentionKernel.run({ q, k, v }, {}); // scale 1/√d, not causal
 * const [dq] = tf.grads((q: tf.Tensor) => fusedAttentionKernel.run({ q, k, v }, {}))([q]); // kernels' backward
 * ```
 */
export const fusedAttentionKernel = defineKernelContract<FusedAttentionInputs, FusedAttentionAttrs>({
  name: NAME,
  inputNames: ['q', 'k', 'v'],
  resolveAttrs: resolveFusedAttentionAttrs,
  reference: ({ q, k, v }, { scale, causal }) =>
    scaledDotProductAttentionReference(q, k, v, { scale, causal }),
  gradient: {
    inputsToSave: ['q', 'k', 'v'],
    outputsToSave: [true, true],
    gradFunc: (dy, saved, attrs) => {
      const [q, k, v, out, savedLse] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?];
      const dOut = Array.isArray(dy) ? dy[0]! : dy;
      const { scale, causal } = attrs as Required<FusedAttentionAttrs>;
      const logSumExp =
        savedLse ?? attentionLogSumExpReference(q, k, { dims: attentionDims(NAME, q, k, v), scale, causal });
      // Computed at once (one kernel gives all three); tfjs disposes the ones it does not ask for.
      const [dq, dk, dv] = fusedAttentionGradKernel.runOutputs(
        { q, k, v, out, dOut, logSumExp },
        { scale, causal },
      );
      return { q: () => dq!, k: () => dk!, v: () => dv! };
    },
  },
});
