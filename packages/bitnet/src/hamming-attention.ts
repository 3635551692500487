import {
  type AttentionDims,
  assertKnownOptions,
  assertNumber,
  InvalidArgumentError,
  validateAttentionInputs,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { signDotMatrix } from './hamming-similarity.js';

/** Options of {@link hammingAttention}. */
export interface HammingAttentionOptions {
  /** Multiplier of the ±1 similarity sign(q)·sign(k). Default `1 / √headDim`. */
  scale?: number;
  /** Causal masking, bottom-right aligned when qLen ≠ kvLen (query i sees keys ≤ i + kvLen − qLen). Default `false`. */
  causal?: boolean;
  /**
   * Straight-through estimator of sign() for the gradients of q and k: `'clipped'` passes the gradient where
   * |x| ≤ 1 (BNN's hardtanh estimator, https://arxiv.org/abs/1602.02830), `'identity'` everywhere.
   * Default `'clipped'`.
   */
  ste?: 'clipped' | 'identity';
}

const FN = 'hammingAttention';

/**
 * Softmax rows of scale · sign(q)·sign(k)ᵀ, in float64 per row, stored as float32
 * `[batch, kvHeads, group·qLen, kvLen]`. Masked keys get probability 0; a row with no visible key is all 0.
 */
function hammingProbabilities(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  dims: AttentionDims,
  scale: number,
  causal: boolean,
): Float32Array {
  const { qLen, kvLen } = dims;
  const p = signDotMatrix(q, k, { ...dims, d: dims.headDim });
  const rows = p.length / kvLen;
  for (let r = 0; r < rows; r++) {
    const i = r % qLen;
    const visible = causal ? Math.min(kvLen, Math.max(0, i + kvLen - qLen + 1)) : kvLen;
    const o = r * kvLen;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < visible; j++) max = Math.max(max, p[o + j]! * scale);
    let sum = 0;
    for (let j = 0; j < visible; j++) sum += Math.exp(p[o + j]! * scale - max);
    for (let j = 0; j < kvLen; j++) p[o + j] = j < visible ? Math.exp(p[o + j]! * scale - max) / sum : 0;
  }
  return p;
}

/** ±1 as float32, with sign(0) = −1 (BitNet's Sign). */
function signs(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.cast(tf.greater(x, 0), 'float32'), 2), 1);
}

/**
 * Hamming attention (experimental): attention whose similarity is computed on binarised features —
 * `softmax(scale · sign(q)·sign(k)ᵀ) · v`, where sign(q)·sign(k) = d − 2·Hamming(q, k) is evaluated by
 * XNOR-popcount on sign bits packed 32 per word (XNOR-Net, Rastegari et al. 2016,
 * https://arxiv.org/abs/1603.05279; BitNet's Sign, https://arxiv.org/abs/2310.11453). It computes a
 * different function from softmax attention on purpose (the feature binarisation of BitNet-style models);
 * v stays in float.
 *
 * Shapes as core's attention: q `[batch, heads, qLen, d]`, k `[batch, kvHeads, kvLen, d]`, v
 * `[batch, kvHeads, kvLen, dv]` → `[batch, heads, qLen, dv]` (kvHeads divides heads). The similarity costs
 * N·M·⌈d/32⌉ word operations in JS (q and k are read back); the softmax weights are O(N·M) memory and
 * P·v runs as a tfjs `matMul`. Gradients: exact for v; for q and k through sign()'s straight-through
 * estimator (`ste`), with the O(N·M) weights saved for the backward pass.
 *
 * @example
 * ```ts
 * const q = tf.randomNormal([1, 2, 64, 32], 0, 1, 'float32', 1);
 * const out = hammingAttention(q, q, q, { causal: true }); // [1, 2, 64, 32]
 * ```
 */
export function hammingAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: HammingAttentionOptions = {},
): tf.Tensor4D {
  const dims = validateAttentionInputs(FN, q, k, v);
  assertKnownOptions(FN, options, ['scale', 'causal', 'ste']);
  const scale = options.scale ?? 1 / Math.sqrt(dims.headDim);
  assertNumber(FN, 'options.scale', scale);
  const causal = options.causal ?? false;
  if (typeof causal !== 'boolean') throw new InvalidArgumentError(FN, 'options.causal', 'a boolean', causal);
  const ste = options.ste ?? 'clipped';
  if (ste !== 'clipped' && ste !== 'identity') {
    throw new InvalidArgumentError(FN, 'options.ste', '"clipped" or "identity"', ste);
  }
  const { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim } = dims;
  const grouped = [batch, kvHeads, (heads / kvHeads) * qLen] as const;
  const attention = tf.customGrad((...args) => {
    const [qi, ki, vi, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const probs = tf.tensor4d(hammingProbabilities(qi.dataSync(), ki.dataSync(), dims, scale, causal), [
      ...grouped,
      kvLen,
    ]);
    save([qi, ki, vi, probs]);
    const value = tf.reshape(tf.matMul(probs, vi), [batch, heads, qLen, valueDim]) as tf.Tensor4D;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [qs, ks, vs, p] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const dyg = tf.reshape(dy, [...grouped, valueDim]);
      const dv = tf.matMul(p, dyg, true, false);
      const dp = tf.matMul(dyg, vs, false, true);
      // Softmax backward, then the chain rule through the scale: ∂L/∂(sign q · sign k).
      const ds = tf.mul(tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true))), scale);
      const passes = (x: tf.Tensor, g: tf.Tensor) =>
        ste === 'identity' ? g : tf.mul(g, tf.cast(tf.lessEqual(tf.abs(x), 1), 'float32'));
      const dqSigns = tf.reshape(tf.matMul(ds, signs(ks)), [batch, heads, qLen, headDim]);
      const dkSigns = tf.matMul(ds, tf.reshape(signs(qs), [...grouped, headDim]), true, false);
      return [passes(qs, dqSigns), passes(ks, dkSigns), dv];
    };
    return { value, gradFunc };
  });
  return tf.tidy(() => attention(q, k, v));
}
