import * as tf from '@tensorflow/tfjs-core';
import { applyScoreMod } from './apply-score-mod.js';
import { AttentionMaskPlan } from './attention-mask.js';
import { type AttentionOptions, kvHeadOf, resolveAttentionOptions, splitHeads } from './attention-options.js';
import { fusedAttentionKernel } from './kernels/fused-attention.js';
import { hasKernelFor } from './kernels/kernel-contract.js';
import { assertNumber, validateAttentionInputs } from './validation.js';

/** Options of {@link memoryEfficientAttention}. */
export interface MemoryEfficientAttentionOptions extends AttentionOptions {
  /** Queries per chunk. Default 512. */
  queryChunkSize?: number;
  /** Keys per chunk. Default 2048. Peak memory per head is about queryChunkSize × keyChunkSize floats. */
  keyChunkSize?: number;
}

const FN = 'memoryEfficientAttention';
const RUNNING_MAX_FLOOR = -1e30;

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
  const kChunk = options.keyChunkSize ?? 2048;
  for (const [name, value] of [
    ['options.queryChunkSize', qChunk],
    ['options.keyChunkSize', kChunk],
  ] as const) {
    assertNumber(FN, name, value, { integer: true, min: 1 });
  }
  if (opts.mask === undefined && opts.scoreMod === undefined && hasKernelFor(fusedAttentionKernel)) {
    return fusedAttentionKernel.run({ q, k, v }, { scale: opts.scale, causal: opts.causal }) as tf.Tensor4D;
  }
  const plan = new AttentionMaskPlan(FN, dims, opts.causal, opts.mask);
  return tf.tidy(() => {
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
            let m: tf.Tensor = tf.fill([q1 - q0, 1], RUNNING_MAX_FLOOR);
            let l: tf.Tensor = tf.zeros([q1 - q0, 1]);
            let acc: tf.Tensor = tf.zeros([q1 - q0, dims.valueDim]);
            kStarts.forEach((k0, ci) => {
              const k1 = Math.min(dims.kvLen, k0 + kChunk);
              if (plan.isEmptyBlock(q0, q1, k0, k1)) return;
              const { state, bias } = plan.blockBias(b, 1, h, 1, q0, q1, k0, k1, Number.NEGATIVE_INFINITY);
              if (state === 'none') return;
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
              }
              if (bias !== undefined) s = tf.add(s, tf.reshape(bias, [q1 - q0, k1 - k0]));
              const mNew = tf.maximum(m, tf.max(s, 1, true));
              const p = tf.exp(tf.sub(s, mNew));
              const correction = tf.exp(tf.sub(m, mNew));
              l = tf.add(tf.mul(l, correction), tf.sum(p, 1, true));
              acc = tf.add(tf.mul(acc, correction), tf.matMul(p, vChunks[ci]!));
              m = mNew;
            });
            // Rows that never met an allowed key have l = 0 and acc = 0: the floor makes them the documented
            // zeros (valid rows have l ≥ 1). divNoNan would put a gradient-less Equal on the tape.
            return tf.div(acc, tf.maximum(l, 1e-30));
          });
          rowsOut.push(rowsOutChunk);
        }
        outs.push(rowsOut.length === 1 ? rowsOut[0]! : tf.concat(rowsOut, 0));
      }
    }
    return tf.reshape(tf.stack(outs), [dims.batch, dims.heads, dims.qLen, dims.valueDim]) as tf.Tensor4D;
  });
}
