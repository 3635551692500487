import {
  assertKnownOptions,
  assertNumber,
  InvalidArgumentError,
  type RecurrentDecoder,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { FeatureMap } from '../feature-maps.js';
import {
  createLinearAttentionState,
  type LinearAttentionState,
  linearAttentionStep,
} from '../linear-attention-state.js';

/** Options of {@link createLinearAttentionDecoder}. */
export interface LinearAttentionDecoderOptions {
  /** The feature map the layer attends with (for FAVOR+, the same seed and redraw, hence the same W). */
  featureMap: FeatureMap;
  batch: number;
  /** Query heads (keys and values may have fewer: grouped-query steps repeat them). */
  heads: number;
  headDim: number;
  /** Value dimension. Default `headDim`. */
  valueDim?: number;
}

const FN = 'createLinearAttentionDecoder';

/** States outlive the caller's `tf.tidy` (a decoding step usually runs in one): keep their tensors. */
function live(state: LinearAttentionState): LinearAttentionState {
  tf.keep(state.kv);
  tf.keep(state.keyShift);
  return state;
}

/**
 * Token-by-token causal linear attention as a core `RecurrentDecoder` (Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236, §3.4, "transformers are RNNs"): it holds the running state
 * `S = Σ_j φ(k_j)[v_j | 1]ᵀ` ({@link createLinearAttentionState}) and advances it with
 * {@link linearAttentionStep}, O(F·d) per token whatever the length so far. Step t's output equals row t of
 * causal `linearAttention` over the first t + 1 tokens with the same feature map (tested). The state's
 * tensors are kept alive across the caller's `tf.tidy` and freed by `dispose()`; each step's output belongs
 * to the caller.
 *
 * @example
 * ```ts
 * const decoder = createLinearAttentionDecoder({ featureMap: eluPlusOne(), batch: 1, heads: 8, headDim: 64 });
 * const out = tf.tidy(() => decoder.step(q, k, v)); // [1, 8, 1, 64] each
 * decoder.dispose();
 * ```
 */
export function createLinearAttentionDecoder(options: LinearAttentionDecoderOptions): RecurrentDecoder {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      FN,
      'options',
      'an options object with featureMap, batch, heads, headDim',
      options,
    );
  }
  assertKnownOptions(FN, options, ['featureMap', 'batch', 'heads', 'headDim', 'valueDim']);
  assertNumber(FN, 'options.batch', options.batch, { integer: true, min: 1 });
  let state = live(
    createLinearAttentionState({
      batch: options.batch,
      heads: options.heads,
      headDim: options.headDim,
      featureMap: options.featureMap,
      ...(options.valueDim === undefined ? {} : { valueDim: options.valueDim }),
    }),
  );
  let disposed = false;
  return {
    get length() {
      return state.length;
    },
    step(q, k, v) {
      if (disposed) {
        throw new InvalidArgumentError(
          `${FN}.step`,
          'decoder',
          'a live decoder',
          'a disposed one',
          'Create a new decoder for a new sequence.',
        );
      }
      const { output, state: next } = linearAttentionStep(state, q, k, v);
      state.dispose();
      state = live(next);
      return output;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      state.dispose();
    },
  };
}
