import {
  assertKnownOptions,
  assertNumber,
  IncompatibleOptionsError,
  InvalidArgumentError,
  validateAttentionInputs,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { iterativePseudoInverse } from './iterative-pseudo-inverse.js';
import { projectSequence } from './project-sequence.js';
import { repeatKvHeads } from './repeat-kv-heads.js';
import { segmentMeanMatrix } from './segment-means.js';
import { depthwiseSequenceConv } from './sequence-conv.js';

/** Options of {@link nystromAttention}. */
export interface NystromAttentionOptions {
  /** Landmarks m (segment means of queries and keys). Default 64; capped at the sequence lengths. */
  numLandmarks?: number;
  /**
   * Iterations of the pseudo-inverse. Default 6 (the paper's): enough for m ≪ N, not for exactness at m = N
   * (relative error 1.2e-2 / 4.3e-2 / 9.0e-2 at N = m = 16 / 64 / 256); 20 reaches float32 level there.
   */
  pinvIterations?: number;
  /** Multiplier of q·k. Default `1/√headDim`. */
  scale?: number;
  /**
   * Depthwise-convolution skip on v (the paper's code adds one with kernel 33): `[heads, kernelSize]`, odd
   * kernel size, one kernel per query head along the sequence. Needs qLen = kvLen. Default: none.
   */
  convWeights?: tf.Tensor;
  /** Not supported: `true` throws an {@link IncompatibleOptionsError} that says why. */
  causal?: boolean;
}

const FN = 'nystromAttention';

/**
 * Nyströmformer attention (Xiong et al. 2021, "Nyströmformer: A Nyström-Based Algorithm for Approximating
 * Self-Attention", https://arxiv.org/abs/2102.03902, eq. 14–15): with landmarks q̃, k̃ the segment means
 * of q and k,
 *
 * `softmax(q k̃ᵀ·s) · pinv(softmax(q̃ k̃ᵀ·s)) · softmax(q̃ kᵀ·s) · v  [+ conv(v)]`,
 *
 * where pinv is {@link iterativePseudoInverse}. O(N·m) time and memory for m landmarks. With m = N (each
 * segment one token) it is exact softmax attention once the pseudo-inverse has converged — about 20
 * iterations for N ≤ 256 (relative error ≤ 3.3e-5 against dense attention, unit-normal inputs, d = 16); the
 * default 6 leaves 1.2e-2 / 4.3e-2 / 9.0e-2 at N = 16 / 64 / 256. Segments need not divide N (see
 * {@link segmentMeanMatrix}). Not causal: every landmark averages a whole segment, future tokens included.
 * Shapes: q `[batch, heads, qLen, d]`, k, v `[batch, kvHeads, kvLen, ·]` → `[batch, heads, qLen, dv]`.
 *
 * @example
 * ```ts
 * const out = nystromAttention(q, k, v, { numLandmarks: 64 }); // q, k, v: [1, 8, 4096, 64]
 * ```
 */
export function nystromAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: NystromAttentionOptions = {},
): tf.Tensor4D {
  const dims = validateAttentionInputs(FN, q, k, v);
  assertKnownOptions(FN, options, ['numLandmarks', 'pinvIterations', 'scale', 'convWeights', 'causal']);
  if (options.causal === true) {
    throw new IncompatibleOptionsError(
      FN,
      'Nyströmformer cannot be causal: each landmark is the mean of a whole segment of queries or keys, so ' +
        'every output would depend on future tokens. Use linear attention (causal: true) or a Performer.',
    );
  }
  if (options.causal !== undefined && typeof options.causal !== 'boolean') {
    throw new InvalidArgumentError(FN, 'options.causal', 'a boolean', options.causal);
  }
  const numLandmarks = options.numLandmarks ?? 64;
  assertNumber(FN, 'options.numLandmarks', numLandmarks, { integer: true, min: 1 });
  const iterations = options.pinvIterations ?? 6;
  assertNumber(FN, 'options.pinvIterations', iterations, { integer: true, min: 1 });
  const scale = options.scale ?? 1 / Math.sqrt(dims.headDim);
  assertNumber(FN, 'options.scale', scale);
  const conv = options.convWeights;
  if (conv !== undefined) {
    if (
      !(conv instanceof tf.Tensor) ||
      conv.rank !== 2 ||
      conv.shape[0] !== dims.heads ||
      conv.shape[1]! % 2 !== 1
    ) {
      throw new InvalidArgumentError(
        FN,
        'options.convWeights',
        `a tensor [${dims.heads}, odd kernel size]`,
        conv,
      );
    }
    if (dims.qLen !== dims.kvLen) {
      throw new IncompatibleOptionsError(
        FN,
        `the conv skip adds conv(v) to the output, so it needs qLen = kvLen (got ${dims.qLen} and ${dims.kvLen}).`,
      );
    }
  }
  const m = Math.min(numLandmarks, dims.qLen, dims.kvLen);
  return tf.tidy(() => {
    const group = dims.heads / dims.kvHeads;
    const kx = repeatKvHeads(k, group);
    const vx = repeatKvHeads(v, group);
    const qs = tf.mul(q, scale);
    const landmarks = (x: tf.Tensor, n: number) =>
      projectSequence(tf.tensor2d(segmentMeanMatrix(n, m), [m, n]), x);
    const qL = landmarks(qs, dims.qLen);
    const kL = landmarks(kx, dims.kvLen);
    const kernel1 = tf.softmax(tf.matMul(qs, kL, false, true)); // [b, h, qLen, m]
    const kernel2 = tf.softmax(tf.matMul(qL, kL, false, true)); // [b, h, m, m]
    const kernel3 = tf.softmax(tf.matMul(qL, kx, false, true)); // [b, h, m, kvLen]
    const out = tf.matMul(
      kernel1,
      tf.matMul(iterativePseudoInverse(kernel2, iterations), tf.matMul(kernel3, vx)),
    );
    return (conv === undefined ? out : tf.add(out, depthwiseSequenceConv(vx, conv))) as tf.Tensor4D;
  });
}
