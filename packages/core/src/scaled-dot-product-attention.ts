import * as tf from '@tensorflow/tfjs-core';
import { applyScoreMod } from './apply-score-mod.js';
import { AttentionMaskPlan, allFinite, maskScores, matMulVisible } from './attention-mask.js';
import { type AttentionOptions, kvHeadOf, resolveAttentionOptions, splitHeads } from './attention-options.js';
import { InvalidArgumentError } from './errors.js';
import type { AttentionDims } from './types.js';
import { validateAttentionInputs } from './validation.js';

/** Options of {@link scaledDotProductAttention}. */
export interface ScaledDotProductAttentionOptions extends AttentionOptions {
  /** Also return the attention weights `[batch, heads, qLen, kvLen]`. Default `false`. */
  returnWeights?: boolean;
}

/** Output and weights, when `returnWeights` is true. */
export type AttentionWithWeights = {
  output: tf.Tensor4D;
  weights: tf.Tensor4D;
};

const FN = 'scaledDotProductAttention';

/**
 * Per-head 2-D matMuls are what tfjs-wasm runs on XNNPACK (a batched or `transposeB` matMul falls back to a
 * ~2 GFLOP/s loop, see TFJS-PERF.md); above this many scores per head the split pays for its extra ops.
 */
const SPLIT_HEADS_MIN_SCORES = 64 * 64;

/** Whether to compute attention head by head with 2-D matMuls on the active backend.  *
 * @example
 * ```ts
 * prefersPerHeadMatMul(dims); // true on wasm for N = 2048
 * ```
 */
export function prefersPerHeadMatMul(dims: AttentionDims): boolean {
  return tf.getBackend() === 'wasm' && dims.qLen * dims.kvLen >= SPLIT_HEADS_MIN_SCORES;
}

/**
 * Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v — the dense reference every other mechanism
 * is tested against (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762).
 *
 * Shapes: q `[batch, heads, qLen, headDim]`, k `[batch, kvHeads, kvLen, headDim]`, v `[batch, kvHeads,
 * kvLen, valueDim]` → `[batch, heads, qLen, valueDim]`. `kvHeads` divides `heads` (grouped-query
 * attention); `qLen ≠ kvLen` is cross-attention, and `causal` is then bottom-right aligned. Rows whose keys
 * are all masked give zeros, never NaN. Memory is O(N²) per head (see {@link memoryEfficientAttention}).
 * Gradients flow through q, k, v and a score modifier's tensor form (its scalar form has no gradient).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { scaledDotProductAttention } from '@efficient-attention/core';
 * const q = tf.randomNormal([1, 4, 16, 32]);
 * const out = scaledDotProductAttention(q, q, q, { causal: true }); // [1, 4, 16, 32]
 * ```
 */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: ScaledDotProductAttentionOptions & { returnWeights: true },
): AttentionWithWeights;
/** Scaled dot-product attention returning the output only; see the overload above for the full description. */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options?: ScaledDotProductAttentionOptions,
): tf.Tensor4D;
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: ScaledDotProductAttentionOptions = {},
): tf.Tensor4D | AttentionWithWeights {
  const dims = validateAttentionInputs(FN, q, k, v);
  const opts = resolveAttentionOptions(FN, dims, options, ['returnWeights']);
  if (options.returnWeights !== undefined && typeof options.returnWeights !== 'boolean') {
    throw new InvalidArgumentError(FN, 'options.returnWeights', 'a boolean', options.returnWeights);
  }
  const plan = new AttentionMaskPlan(FN, dims, opts.causal, opts.mask);
  // NaN rule: masked keys are selected away (never added to), and their values are kept out of p·v when
  // v holds NaN or ±∞ (checked once: the NaN-safe product costs two more matMuls).
  const vFinite = !plan.hasMask || allFinite(v);
  const result = plan.shareInvariantBlocks(() =>
    tf.tidy(() => {
      const weightsOut = options.returnWeights === true;
      let visible: tf.Tensor | undefined; // `allowed` of the last probs() call, for matMulVisible
      const probs = (scores: tf.Tensor, b0: number, nb: number, h0: number, nh: number): tf.Tensor => {
        let s = scores;
        if (opts.scoreMod !== undefined) {
          s = applyScoreMod(FN, opts.scoreMod, s, {
            batchStart: b0,
            headStart: h0,
            qStart: 0,
            kvStart: 0,
            qLen: dims.qLen,
            kvLen: dims.kvLen,
          });
          // A score modifier may return −∞; keep the fused softmax finite (masking belongs in `mask`).
          s = tf.maximum(s, -3e38);
        }
        const { state, allowed, rowValid } = plan.blockBias(b0, nb, h0, nh, 0, dims.qLen, 0, dims.kvLen);
        // A skipped block sees nothing: only the NaN-safe product needs to be told.
        visible = state === 'none' && !vFinite ? tf.zeros(s.shape, 'bool') : allowed;
        if (state === 'none') return tf.zerosLike(s);
        s = maskScores(s, allowed);
        let p = tf.softmax(s);
        if (rowValid !== undefined) p = tf.mul(p, rowValid);
        return p;
      };
      const qs = tf.mul(q, opts.scale);
      if (!prefersPerHeadMatMul(dims)) {
        // Batched 4-D path. Grouped-query attention folds each kv head's query group into the sequence
        // axis ([B, Hkv, group·N, d]) instead of repeating k and v.
        const group = dims.heads / dims.kvHeads;
        const qg = tf.reshape(qs, [dims.batch, dims.kvHeads, group * dims.qLen, dims.headDim]);
        const scores = tf.reshape(tf.matMul(qg, k, false, true), [
          dims.batch,
          dims.heads,
          dims.qLen,
          dims.kvLen,
        ]);
        const p = probs(scores, 0, dims.batch, 0, dims.heads);
        const grouped = [dims.batch, dims.kvHeads, group * dims.qLen, dims.kvLen];
        const pg = tf.reshape(p, grouped);
        const vis =
          vFinite || visible === undefined
            ? undefined
            : tf.reshape(tf.broadcastTo(visible, p.shape), grouped);
        const out = tf.reshape(matMulVisible(pg, v, vis, vFinite), [
          dims.batch,
          dims.heads,
          dims.qLen,
          dims.valueDim,
        ]) as tf.Tensor4D;
        return weightsOut ? { output: out, weights: p as tf.Tensor4D } : { output: out };
      }
      const qHeads = splitHeads(tf, qs);
      const kTHeads = splitHeads(tf, tf.transpose(k, [0, 1, 3, 2]));
      const vHeads = splitHeads(tf, v);
      const outs: tf.Tensor[] = [];
      const ws: tf.Tensor[] = [];
      for (let b = 0; b < dims.batch; b++) {
        for (let h = 0; h < dims.heads; h++) {
          const kvIdx = b * dims.kvHeads + kvHeadOf(dims, h);
          // A scope per head frees its N² scores before the next head starts (peak: one head's scores).
          const [o, p2] = tf.tidy(() => {
            const scores = tf.matMul(qHeads[b * dims.heads + h]!, kTHeads[kvIdx]!);
            const pp = tf.reshape(probs(tf.reshape(scores, [1, 1, dims.qLen, dims.kvLen]), b, 1, h, 1), [
              dims.qLen,
              dims.kvLen,
            ]);
            const vis =
              vFinite || visible === undefined
                ? undefined
                : tf.reshape(tf.broadcastTo(visible, [1, 1, dims.qLen, dims.kvLen]), [dims.qLen, dims.kvLen]);
            return [matMulVisible(pp, vHeads[kvIdx]!, vis, vFinite), weightsOut ? pp : tf.zeros([0])];
          });
          outs.push(o);
          if (weightsOut) ws.push(p2);
          else p2.dispose();
        }
      }
      const shape: [number, number, number, number] = [dims.batch, dims.heads, dims.qLen, dims.valueDim];
      const output = tf.reshape(tf.stack(outs), shape) as tf.Tensor4D;
      if (!weightsOut) return { output };
      const weights = tf.reshape(tf.stack(ws), [
        dims.batch,
        dims.heads,
        dims.qLen,
        dims.kvLen,
      ]) as tf.Tensor4D;
      return { output, weights };
    }),
  );
  return options.returnWeights === true ? (result as AttentionWithWeights) : result.output;
}
