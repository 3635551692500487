import {
  AttentionMaskPlan,
  type AttentionOptions,
  allFinite,
  applyScoreMod,
  assertNumber,
  IncompatibleOptionsError,
  InvalidArgumentError,
  MASK_FILL,
  resolveAttentionOptions,
  validateAttentionInputs,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { entmaxBisect, MIN_ENTMAX_ALPHA } from './entmax-bisect.js';
import { entmax15 } from './entmax15.js';
import { sparsemax } from './sparsemax.js';

/** The normaliser that turns a row of scores into attention weights. */
export type AttentionNormalizer = 'softmax' | 'sparsemax' | 'entmax15' | 'entmax';

/**
 * The normalisers {@link adaptivelySparseAttention} accepts (Correia et al. 2019,
 * https://arxiv.org/abs/1909.00015, compare softmax, sparsemax and entmax in attention).
 *
 * @example
 * ```ts
 * for (const normalizer of ATTENTION_NORMALIZERS) adaptivelySparseAttention(q, k, v, { normalizer });
 * ```
 */
export const ATTENTION_NORMALIZERS: readonly AttentionNormalizer[] = Object.freeze([
  'softmax',
  'sparsemax',
  'entmax15',
  'entmax',
]);

/** Options of {@link adaptivelySparseAttention}. */
export interface AdaptivelySparseAttentionOptions extends AttentionOptions {
  /**
   * `'softmax'` (dense weights), `'sparsemax'` ({@link sparsemax}), `'entmax15'` ({@link entmax15}) or
   * `'entmax'` (α-entmax by bisection, {@link entmaxBisect}, with `alpha`). Default `'entmax15'`.
   */
  normalizer?: AttentionNormalizer;
  /**
   * α of the `'entmax'` normaliser: a number, or a float32 tensor of shape `[heads]` (one α per query
   * head, e.g. a `tf.Variable`: it receives a gradient). Every α must be ≥ 1.001. Default 1.5. Only with
   * `normalizer: 'entmax'`.
   */
  alpha?: number | tf.Tensor;
  /** Bisection steps of the `'entmax'` normaliser. Default 25. Only with `normalizer: 'entmax'`. */
  iterations?: number;
  /** Also return the attention weights `[batch, heads, qLen, kvLen]`. Default `false`. */
  returnWeights?: boolean;
}

const FN = 'adaptivelySparseAttention';

function normalize(
  scores: tf.Tensor,
  normalizer: AttentionNormalizer,
  alpha: number | tf.Tensor,
  iterations: number,
): tf.Tensor {
  switch (normalizer) {
    case 'softmax':
      // A score modifier may return −∞; keep the fused softmax finite, as core does.
      return tf.softmax(tf.maximum(scores, -3e38));
    case 'sparsemax':
      return sparsemax(scores);
    case 'entmax15':
      return entmax15(scores);
    case 'entmax': {
      const heads = scores.shape[1]!;
      const a = typeof alpha === 'number' ? alpha : tf.reshape(alpha, [1, heads, 1, 1]);
      return entmaxBisect(scores, { alpha: a, iterations });
    }
  }
}

/**
 * Attention whose softmax is replaced by an adaptively sparse normaliser — sparsemax (Martins & Astudillo
 * 2016, https://arxiv.org/abs/1602.02068), 1.5-entmax or α-entmax with α per head (Correia, Niculae &
 * Martins 2019, "Adaptively Sparse Transformers", https://arxiv.org/abs/1909.00015): `normalize(q·kᵀ·scale
 * + mask)·v`. The weights of a row sum to 1 and are exactly zero outside its support, so each query
 * attends to a data-dependent subset of keys.
 *
 * Shapes, `scale`, `causal` (bottom-right aligned when qLen ≠ kvLen), `mask` (predicate or boolean tensor)
 * and `scoreMod` behave as in core's `scaledDotProductAttention`; masked keys, and keys a score modifier sends
 * to `−∞`, get weight exactly 0, and rows whose keys are all masked either way give zeros, never NaN (core's
 * softmax path instead spreads a row a score modifier sends entirely to `−∞` uniformly: masking belongs in
 * `mask`). A NaN in a masked key never reaches the row. Gradients reach q, k, v, a score modifier's tensor form and a
 * tensor `alpha` (exact custom gradients of the normalisers). Time and memory are O(N²) per head (the
 * normalisers sort or bisect each full row of scores), forward and backward.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { adaptivelySparseAttention } from '@efficient-attention/adaptive';
 * const q = tf.randomNormal([1, 4, 64, 16]);
 * const alpha = tf.variable(tf.fill([4], 1.5)); // learnable, one per head
 * const out = adaptivelySparseAttention(q, q, q, { normalizer: 'entmax', alpha, causal: true });
 * ```
 */
export function adaptivelySparseAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: AdaptivelySparseAttentionOptions & { returnWeights: true },
): { output: tf.Tensor4D; weights: tf.Tensor4D };
export function adaptivelySparseAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options?: AdaptivelySparseAttentionOptions,
): tf.Tensor4D;
export function adaptivelySparseAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: AdaptivelySparseAttentionOptions = {},
): tf.Tensor4D | { output: tf.Tensor4D; weights: tf.Tensor4D } {
  const dims = validateAttentionInputs(FN, q, k, v);
  const opts = resolveAttentionOptions(FN, dims, options, [
    'normalizer',
    'alpha',
    'iterations',
    'returnWeights',
  ]);
  const normalizer = options.normalizer ?? 'entmax15';
  if (!ATTENTION_NORMALIZERS.includes(normalizer)) {
    throw new InvalidArgumentError(
      FN,
      'options.normalizer',
      `one of ${ATTENTION_NORMALIZERS.join(', ')}`,
      normalizer,
    );
  }
  if (normalizer !== 'entmax' && (options.alpha !== undefined || options.iterations !== undefined)) {
    throw new IncompatibleOptionsError(
      FN,
      `\`alpha\` and \`iterations\` configure the 'entmax' normaliser, but normalizer is '${normalizer}'. ` +
        `Pass normalizer: 'entmax' (α = 2 is sparsemax, α = 1.5 is entmax15).`,
    );
  }
  if (options.returnWeights !== undefined && typeof options.returnWeights !== 'boolean') {
    throw new InvalidArgumentError(FN, 'options.returnWeights', 'a boolean', options.returnWeights);
  }
  const alpha = options.alpha ?? 1.5;
  if (typeof alpha === 'number') {
    assertNumber(FN, 'options.alpha', alpha, { min: MIN_ENTMAX_ALPHA });
  } else if (!(alpha instanceof tf.Tensor) || alpha.rank !== 1 || alpha.shape[0] !== dims.heads) {
    throw new InvalidArgumentError(
      FN,
      'options.alpha',
      `a number or a tensor of shape [${dims.heads}] (heads)`,
      alpha,
    );
  }
  const iterations = options.iterations ?? 25;
  const plan = new AttentionMaskPlan(FN, dims, opts.causal, opts.mask);
  const result: { output: tf.Tensor4D; weights?: tf.Tensor4D } = tf.tidy(() => {
    // Grouped-query attention folds each kv head's query group into the sequence axis, as core does.
    const group = dims.heads / dims.kvHeads;
    const qg = tf.reshape(tf.mul(q, opts.scale), [dims.batch, dims.kvHeads, group * dims.qLen, dims.headDim]);
    const shape4 = [dims.batch, dims.heads, dims.qLen, dims.kvLen];
    let scores = tf.reshape(tf.matMul(qg, k, false, true), shape4);
    if (opts.scoreMod !== undefined) {
      scores = applyScoreMod(FN, opts.scoreMod, scores, {
        batchStart: 0,
        headStart: 0,
        qStart: 0,
        kvStart: 0,
        qLen: dims.qLen,
        kvLen: dims.kvLen,
      });
    }
    const { state, bias, rowValid } = plan.blockBias(
      0,
      dims.batch,
      0,
      dims.heads,
      0,
      dims.qLen,
      0,
      dims.kvLen,
    );
    let weights: tf.Tensor;
    if (state === 'none') {
      weights = tf.zeros(shape4);
    } else {
      // Masked keys get the mask's bias (MASK_FILL), which every normaliser turns into exactly 0. Adding it
      // is exact for finite scores; a NaN or ±∞ score is selected away instead (NaN + bias stays NaN in a
      // key the row cannot see). The add is the fast path: tfjs's broadcasting select costs ~10× on wasm.
      const masked =
        bias === undefined
          ? scores
          : allFinite(scores)
            ? tf.add(scores, bias)
            : tf.where(tf.equal(bias, 0), scores, -Infinity);
      // A row whose best score is a masked key's MASK_FILL or −∞ (keys a score modifier sent to −∞) is fully
      // masked: zeros. 1 / relu(max − MASK_FILL/2) is +∞ exactly for those rows, finite for live ones and
      // NaN for a NaN row (which stays NaN); every op on the way has a gradient (IsInf's is 0).
      const rowMax = tf.max(masked, -1, true);
      const dead = tf.isInf(tf.div(1, tf.relu(tf.sub(rowMax, MASK_FILL / 2))));
      weights = tf.where(dead, 0, normalize(masked, normalizer, alpha, iterations));
      if (rowValid !== undefined) weights = tf.where(tf.cast(rowValid, 'bool'), weights, 0);
    }
    const wg = tf.reshape(weights, [dims.batch, dims.kvHeads, group * dims.qLen, dims.kvLen]);
    const output = tf.reshape(tf.matMul(wg, v), [
      dims.batch,
      dims.heads,
      dims.qLen,
      dims.valueDim,
    ]) as tf.Tensor4D;
    // Disposing unrequested weights would break the backward pass: only return them when asked.
    return options.returnWeights === true ? { output, weights: weights as tf.Tensor4D } : { output };
  });
  return result.weights !== undefined ? { output: result.output, weights: result.weights } : result.output;
}
