import * as tf from '@tensorflow/tfjs-core';
import { applyScoreMod } from './apply-score-mod.js';
import {
  AttentionMaskPlan,
  allFinite,
  maskScores,
  matMulVisible,
  NonFiniteScoreRows,
} from './attention-mask.js';
import { type AttentionOptions, kvHeadOf, resolveAttentionOptions, splitHeads } from './attention-options.js';
import { InvalidArgumentError } from './errors.js';
import { fusedAttentionKernel } from './kernels/fused-attention.js';
import { hasKernelFor, noteReferencePath } from './kernels/kernel-contract.js';
import type { AttentionDims } from './types.js';
import { validateAttentionInputs } from './validation.js';

/** Options of {@link scaledDotProductAttention}. */
export interface ScaledDotProductAttentionOptions extends AttentionOptions {
  /** Also return the attention weights `[batch, heads, qLen, kvLen]`. Default `false`. */
  returnWeights?: boolean;
  /**
   * Bytes the dense N² scores (with their softmax copy and the inputs) may take before the call throws
   * instead of allocating them. Default: the active backend's known limit ({@link DENSE_SCORES_BYTE_LIMITS}:
   * 2 GiB on `wasm`, 4 GiB on `cpu`), none elsewhere; `Infinity` skips the check.
   */
  maxScoresBytes?: number;
}

/**
 * Memory the dense N² scores may take per backend, where the limit is known. `wasm`: tfjs-wasm's heap may
 * grow to 4 GiB, but a call past 2 GiB fails with "memory access out of bounds" (measured: dense attention at
 * N = 16384 in apps/experiments); `cpu`: a conservative cap on Node's typed arrays and heap.
 */
export const DENSE_SCORES_BYTE_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  wasm: 2 ** 31,
  cpu: 2 ** 32,
});

const formatBytes = (bytes: number): string => {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return bytes >= 2 ** 10 ? `${(bytes / 2 ** 10).toFixed(1)} KiB` : `${bytes} bytes`;
};

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
 * are all masked give zeros, never NaN. Memory is O(N²) per head (see {@link memoryEfficientAttention}): a
 * call whose scores would not fit the backend's memory throws before allocating them (`maxScoresBytes`).
 * Gradients flow through q, k, v and a score modifier's tensor form (its scalar form has no gradient).
 *
 * When the active backend has the fused `EAFusedAttention` kernel (`@efficient-attention/backends`) and the
 * call needs nothing but `scale` and `causal`, it runs there — forward and backward, O(N) memory, same
 * results within float32 rounding; a `mask`, `scoreMod` or `returnWeights` keeps it on tfjs ops (said once
 * when kernels were announced with `initBackend`).
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
  const opts = resolveAttentionOptions(FN, dims, options, ['returnWeights', 'maxScoresBytes']);
  if (hasKernelFor(fusedAttentionKernel)) {
    const blocker =
      options?.returnWeights === true
        ? 'returnWeights'
        : opts.mask !== undefined
          ? 'mask'
          : opts.scoreMod !== undefined
            ? 'scoreMod'
            : undefined;
    if (blocker === undefined) {
      if (options?.maxScoresBytes !== undefined) assertScoresFit(dims, options, 0, false);
      // The fast path: the fused kernel (O(N) memory, its own backward), same results within float32
      // rounding (core's README states the tolerance the backends' tests hold it to).
      return fusedAttentionKernel.run({ q, k, v }, { scale: opts.scale, causal: opts.causal }) as tf.Tensor4D;
    }
    noteReferencePath(
      FN,
      blocker,
      `options.${blocker} has no fused kernel (the EAFusedAttention kernel takes scale and causal only)`,
    );
  }
  return scaledDotProductAttentionReference(q, k, v, options);
}

/**
 * {@link scaledDotProductAttention} always computed with tfjs ops (N² scores), never routed to the fused
 * kernel: the reference of `EAFusedAttention` and of the tests. Same signature and contract.
 *
 * @example
 * ```ts
 * const out = scaledDotProductAttentionReference(q, k, v, { causal: true });
 * ```
 */
export function scaledDotProductAttentionReference(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: ScaledDotProductAttentionOptions & { returnWeights: true },
): AttentionWithWeights;
/** The reference returning the output only; see the overload above. */
export function scaledDotProductAttentionReference(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options?: ScaledDotProductAttentionOptions,
): tf.Tensor4D;
export function scaledDotProductAttentionReference(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: ScaledDotProductAttentionOptions = {},
): tf.Tensor4D | AttentionWithWeights {
  const dims = validateAttentionInputs(FN, q, k, v);
  const opts = resolveAttentionOptions(FN, dims, options, ['returnWeights', 'maxScoresBytes']);
  if (options.returnWeights !== undefined && typeof options.returnWeights !== 'boolean') {
    throw new InvalidArgumentError(FN, 'options.returnWeights', 'a boolean', options.returnWeights);
  }
  assertScoresFit(dims, options, q.size + k.size + v.size, true);
  const plan = new AttentionMaskPlan(FN, dims, opts.causal, opts.mask);
  // NaN rule: masked keys are selected away (never added to), and their values are kept out of p·v when
  // v holds NaN or ±∞ (checked once: the NaN-safe product costs two more matMuls).
  const vFinite = !plan.hasMask || allFinite(v);
  // ±∞ (or NaN) in q or k: scores may be non-finite, and rows follow the reference (NonFiniteScoreRows).
  const qkFinite = allFinite(q) && allFinite(k);
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
        const rows = qkFinite ? undefined : new NonFiniteScoreRows();
        if (rows !== undefined) s = rows.observe(s, allowed);
        s = maskScores(s, allowed);
        let p = tf.softmax(s);
        if (rowValid !== undefined) p = tf.mul(p, rowValid);
        return rows === undefined ? p : rows.poison(p);
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

/**
 * Throws before the N² allocation when the scores cannot fit: the scores tensor live at once (one head's
 * `qLen·kvLen` on the per-head path, `batch·heads·qLen·kvLen` on the batched one) and its softmax copy, in
 * float32, plus the inputs (and every head's weights when they are returned), against the limit. A lower
 * bound of the real peak, so it never rejects a call that would have fit.
 */
function assertScoresFit(
  dims: AttentionDims,
  options: ScaledDotProductAttentionOptions,
  inputElements: number,
  allocatesScores: boolean,
): void {
  const backend = tf.getBackend();
  const limit = options.maxScoresBytes ?? DENSE_SCORES_BYTE_LIMITS[backend] ?? Number.POSITIVE_INFINITY;
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit <= 0) {
    throw new InvalidArgumentError(
      FN,
      'options.maxScoresBytes',
      'a number of bytes > 0 (or Infinity)',
      limit,
    );
  }
  if (limit === Number.POSITIVE_INFINITY || !allocatesScores) return;
  const allScores = dims.batch * dims.heads * dims.qLen * dims.kvLen;
  const perHead = prefersPerHeadMatMul(dims);
  const liveScores = perHead ? dims.qLen * dims.kvLen : allScores;
  const weights = options.returnWeights === true && perHead ? 2 * allScores : 0;
  const bytes = 4 * (2 * liveScores + weights + inputElements);
  if (bytes <= limit) return;
  const source =
    options.maxScoresBytes === undefined ? `the ${backend} backend's limit` : 'options.maxScoresBytes';
  throw new InvalidArgumentError(
    FN,
    'q.shape[2] × k.shape[2] (qLen × kvLen)',
    'small enough for the N² attention scores to fit in memory',
    [dims.qLen, dims.kvLen],
    `The scores ${perHead ? 'of one head ' : ''}and their softmax copy need ${formatBytes(bytes)} ` +
      `(${bytes} bytes, with the inputs) over ${source} of ${formatBytes(limit)}. Use ` +
      'memoryEfficientAttention (O(N) memory; the fused EAFusedAttention kernel where registered) instead.',
  );
}
