import {
  type ReferenceAttentionInputs,
  type ReferenceAttentionOptions,
  referenceAttention,
} from './reference-attention.js';

/** Gradients of attention in float64: shapes of q, k and v (kv heads summed over their query group). */
export interface ReferenceAttentionGradients {
  /** Row-major `[batch, heads, qLen, headDim]`. */
  dq: Float64Array;
  /** Row-major `[batch, kvHeads, kvLen, headDim]`. */
  dk: Float64Array;
  /** Row-major `[batch, kvHeads, kvLen, valueDim]`. */
  dv: Float64Array;
  /** The forward output `[batch, heads, qLen, valueDim]`. */
  output: Float64Array;
  /** Natural log-sum-exp of each row's visible scaled scores `[batch, heads, qLen]` (−∞: no visible key). */
  logSumExp: Float64Array;
}

/**
 * The vector-Jacobian product of {@link referenceAttention} in float64 with plain loops, from the analytic
 * softmax gradient (independent of the FlashAttention-2 tiling the kernels use, and of tfjs autograd):
 * P = softmax over visible keys, dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ∘ (dP − rowsum(dP ∘ P)), dQ = scale·dS·K,
 * dK = scale·dSᵀ·Q. Masked keys get exactly 0 (never read); rows with no visible key give zero gradients.
 * `scoreMod` is not supported (its derivative is unknown here): pass `allowed` and `causal` only.
 *
 * @example
 * ```ts
 * const { dq, dk, dv } = referenceAttentionGrad(inputs, dOut, { causal: true });
 * ```
 */
export function referenceAttentionGrad(
  x: ReferenceAttentionInputs,
  dOut: ArrayLike<number>,
  options: Omit<ReferenceAttentionOptions, 'scoreMod'> = {},
): ReferenceAttentionGradients {
  const { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim } = x;
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  const group = heads / kvHeads;
  const { output, weights } = referenceAttention(x, options);
  const dq = new Float64Array(batch * heads * qLen * headDim);
  const dk = new Float64Array(batch * kvHeads * kvLen * headDim);
  const dv = new Float64Array(batch * kvHeads * kvLen * valueDim);
  const logSumExp = new Float64Array(batch * heads * qLen);
  const dP = new Float64Array(kvLen);
  const ok = new Uint8Array(kvLen);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kh = Math.floor(h / group);
      const qBase = (b * heads + h) * qLen;
      const kvBase = (b * kvHeads + kh) * kvLen;
      for (let i = 0; i < qLen; i++) {
        let anyOk = false;
        let max = Number.NEGATIVE_INFINITY;
        const scores = new Float64Array(kvLen);
        for (let j = 0; j < kvLen; j++) {
          const causalOk = !options.causal || j <= i + kvLen - qLen;
          const maskOk = options.allowed ? options.allowed(b, h, i, j) : true;
          ok[j] = causalOk && maskOk ? 1 : 0;
          if (!ok[j]) continue;
          anyOk = true;
          let s = 0;
          for (let t = 0; t < headDim; t++) {
            s += x.q[(qBase + i) * headDim + t]! * x.k[(kvBase + j) * headDim + t]!;
          }
          scores[j] = s * scale;
          if (scores[j]! > max || Number.isNaN(scores[j]!)) max = scores[j]!;
        }
        if (!anyOk) {
          logSumExp[qBase + i] = Number.NEGATIVE_INFINITY;
          continue;
        }
        let sum = 0;
        for (let j = 0; j < kvLen; j++) if (ok[j]) sum += Math.exp(scores[j]! - max);
        logSumExp[qBase + i] = max + Math.log(sum);
        const p = (j: number) => weights[(qBase + i) * kvLen + j]!;
        let rowDot = 0; // Σ_j P_ij · dP_ij = dO_i · O_i
        for (let j = 0; j < kvLen; j++) {
          if (!ok[j]) continue;
          let s = 0;
          for (let t = 0; t < valueDim; t++) {
            s += dOut[(qBase + i) * valueDim + t]! * x.v[(kvBase + j) * valueDim + t]!;
          }
          dP[j] = s;
          rowDot += p(j) * s;
        }
        for (let j = 0; j < kvLen; j++) {
          if (!ok[j]) continue;
          const pij = p(j);
          for (let t = 0; t < valueDim; t++) {
            dv[(kvBase + j) * valueDim + t]! += pij * dOut[(qBase + i) * valueDim + t]!;
          }
          const dS = pij * (dP[j]! - rowDot) * scale;
          for (let t = 0; t < headDim; t++) {
            dq[(qBase + i) * headDim + t]! += dS * x.k[(kvBase + j) * headDim + t]!;
            dk[(kvBase + j) * headDim + t]! += dS * x.q[(qBase + i) * headDim + t]!;
          }
        }
      }
    }
  }
  return { dq, dk, dv, output, logSumExp };
}
