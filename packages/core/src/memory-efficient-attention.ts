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
import { fusedAttentionKernel } from './kernels/fused-attention.js';
import { hasKernelFor, noteReferencePath } from './kernels/kernel-contract.js';
import { assertNumber, validateAttentionInputs } from './validation.js';

/** Options of {@link memoryEfficientAttention}. */
export interface MemoryEfficientAttentionOptions extends AttentionOptions {
  /** Queries per chunk. Default 512. */
  queryChunkSize?: number;
  /** Keys per chunk. Default 4096. Peak memory per head is about queryChunkSize × keyChunkSize floats. */
  keyChunkSize?: number;
}

const FN = 'memoryEfficientAttention';

/**
 * Exact attention computed over query and key chunks with an online softmax (Rabe & Staats 2021,
 * https://arxiv.org/abs/2112.05682; Dao et al. 2022, FlashAttention, https://arxiv.org/abs/2205.14135), so
 * the forward pass holds `queryChunkSize × keyChunkSize` scores per head instead of N². Same inputs, options
 * and result as {@link scaledDotProductAttention}; under `causal`, key chunks entirely in the future are
 * skipped, halving the work.
 *
 * When a fused kernel for `EAFusedAttention` is registered for the active backend (by
 * `@efficient-attention/backends`) and no mask or score modifier is given, the call goes to that kernel.
 *
 * Memory note: the backward pass (tfjs autodiff through the loop) keeps every chunk's scores, so training
 * through it is O(N²) in memory.
 *
 * @example
 * ```ts
 * const out = memoryEfficientAttention(q, k, v, { causal: true, queryChunkSize: 256 });
 * ```
 */
export function memoryEfficientAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: MemoryEfficientAttentionOptions = {},
): tf.Tensor4D {
  const dims = validateAttentionInputs(FN, q, k, v);
  const opts = resolveAttentionOptions(FN, dims, options, ['queryChunkSize', 'keyChunkSize']);
  const qChunk = options.queryChunkSize ?? 512;
  const kChunk = options.keyChunkSize ?? 4096;
  for (const [name, value] of [
    ['options.queryChunkSize', qChunk],
    ['options.keyChunkSize', kChunk],
  ] as const) {
    assertNumber(FN, name, value, { integer: true, min: 1 });
  }
  if (hasKernelFor(fusedAttentionKernel)) {
    if (opts.mask === undefined && opts.scoreMod === undefined) {
      return fusedAttentionKernel.run({ q, k, v }, { scale: opts.scale, causal: opts.causal }) as tf.Tensor4D;
    }
    const blocker = opts.mask !== undefined ? 'mask' : 'scoreMod';
    noteReferencePath(
      FN,
      blocker,
      `options.${blocker} has no fused kernel (the EAFusedAttention kernel takes scale and causal only)`,
    );
  }
  const plan = new AttentionMaskPlan(FN, dims, opts.causal, opts.mask);
  // NaN rule: see scaledDotProductAttention (select, not bias; masked values kept out of p·v).
  const vFinite = !plan.hasMask || allFinite(v);
  const qkFinite = allFinite(q) && allFinite(k);
  return plan.shareInvariantBlocks(() =>
    tf.tidy(() => {
      const qHeads = splitHeads(tf, tf.mul(q, opts.scale));
      const kTHeads = splitHeads(tf, tf.transpose(k, [0, 1, 3, 2]));
      const vHeads = splitHeads(tf, v);
      const kStarts: number[] = [];
      for (let s = 0; s < dims.kvLen; s += kChunk) kStarts.push(s);
      const outs: tf.Tensor[] = [];
      for (let b = 0; b < dims.batch; b++) {
        for (let h = 0; h < dims.heads; h++) {
          const kvIdx = b * dims.kvHeads + kvHeadOf(dims, h);
          const kT = kTHeads[kvIdx]!;
          const vh = vHeads[kvIdx]!;
          const kTChunks =
            kStarts.length === 1
              ? [kT]
              : tf.split(
                  kT,
                  kStarts.map((s) => Math.min(kChunk, dims.kvLen - s)),
                  1,
                );
          const vChunks =
            kStarts.length === 1
              ? [vh]
              : tf.split(
                  vh,
                  kStarts.map((s) => Math.min(kChunk, dims.kvLen - s)),
                  0,
                );
          const qh = qHeads[b * dims.heads + h]!;
          const rowsOut: tf.Tensor[] = [];
          for (let q0 = 0; q0 < dims.qLen; q0 += qChunk) {
            const q1 = Math.min(dims.qLen, q0 + qChunk);
            const qc = q0 === 0 && q1 === dims.qLen ? qh : tf.slice(qh, [q0, 0], [q1 - q0, dims.headDim]);
            const rowsOutChunk = tf.tidy(() => {
              // Running row max m, normaliser l and unnormalised output acc of the online softmax. Each key
              // chunk uses the fused tf.softmax (3× cheaper than exp/sum on wasm): P = softmax(s) =
              // exp(s − m_c)/l_c with m_c = max(s), and since P's largest entry is exp(0)/l_c, l_c = 1/max(P).
              let m: tf.Tensor | undefined;
              let l: tf.Tensor | undefined;
              let acc: tf.Tensor | undefined;
              let valid: tf.Tensor | undefined; // bool [rows, 1]; undefined while every row is valid
              let everyRowValid = false;
              // ±∞ in q or k: the reference's rows across all key chunks (see NonFiniteScoreRows).
              const rows = qkFinite ? undefined : new NonFiniteScoreRows();
              kStarts.forEach((k0, ci) => {
                const k1 = Math.min(dims.kvLen, k0 + kChunk);
                if (plan.isEmptyBlock(q0, q1, k0, k1)) return;
                const { state, allowed, rowAny } = plan.blockBias(b, 1, h, 1, q0, q1, k0, k1);
                if (state === 'none') return;
                if (state === 'all') everyRowValid = true;
                else if (rowAny !== undefined) {
                  const r = tf.reshape(rowAny, [q1 - q0, 1]);
                  valid = valid === undefined ? r : tf.logicalOr(valid, r);
                }
                let s: tf.Tensor = tf.matMul(qc, kTChunks[ci]!);
                if (opts.scoreMod !== undefined) {
                  const block = {
                    batchStart: b,
                    headStart: h,
                    qStart: q0,
                    kvStart: k0,
                    qLen: dims.qLen,
                    kvLen: dims.kvLen,
                  };
                  s = tf.reshape(
                    applyScoreMod(FN, opts.scoreMod, tf.reshape(s, [1, 1, q1 - q0, k1 - k0]), block),
                    [q1 - q0, k1 - k0],
                  );
                  s = tf.maximum(s, -3e38); // a score modifier may return −∞; keep the softmax finite
                }
                const visible = allowed === undefined ? undefined : tf.reshape(allowed, [q1 - q0, k1 - k0]);
                if (rows !== undefined) s = rows.observe(s, visible);
                s = maskScores(s, visible);
                const mc = tf.max(s, 1, true);
                const p = tf.softmax(s);
                const lc = tf.reciprocal(tf.max(p, 1, true));
                const pv = matMulVisible(p, vChunks[ci]!, visible, vFinite);
                if (m === undefined || l === undefined || acc === undefined) {
                  m = mc;
                  l = lc;
                  acc = tf.mul(pv, lc);
                  return;
                }
                const mNew = tf.maximum(m, mc);
                const oldScale = tf.exp(tf.sub(m, mNew));
                const chunkScale = tf.mul(tf.exp(tf.sub(mc, mNew)), lc);
                l = tf.add(tf.mul(l, oldScale), chunkScale);
                acc = tf.add(tf.mul(acc, oldScale), tf.mul(pv, chunkScale));
                m = mNew;
              });
              if (acc === undefined || l === undefined) return tf.zeros([q1 - q0, dims.valueDim]);
              const out = rows === undefined ? tf.div(acc, l) : rows.poison(tf.div(acc, l));
              // Rows that met no allowed key hold a uniform average of masked scores: the documented zeros.
              return everyRowValid || valid === undefined ? out : tf.where(valid, out, 0);
            });
            rowsOut.push(rowsOutChunk);
          }
          outs.push(rowsOut.length === 1 ? rowsOut[0]! : tf.concat(rowsOut, 0));
        }
      }
      return tf.reshape(tf.stack(outs), [dims.batch, dims.heads, dims.qLen, dims.valueDim]) as tf.Tensor4D;
    }),
  );
}
