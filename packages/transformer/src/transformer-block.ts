import { rmsNorm } from '@efficient-attention/bitnet';
import * as tf from '@tensorflow/tfjs-core';
import {
  createMultiHeadAttention,
  type MultiHeadAttention,
  type MultiHeadAttentionOptions,
} from './multi-head-attention.js';
import { createProjection, type Projection } from './projection.js';
import { trainableVariable } from './trainable-variable.js';

/** Options of {@link createTransformerBlock}. */
export interface TransformerBlockOptions extends MultiHeadAttentionOptions {
  /** Hidden width of the feed-forward network. */
  ffnDim: number;
}

/**
 * A pre-norm Transformer block (Xiong et al. 2020, https://arxiv.org/abs/2002.04745):
 * `h = x + MHA(RMSNorm(x))`, `y = h + W₂·GELU(W₁·RMSNorm(h))`, RMSNorm with a learned gain
 * (https://arxiv.org/abs/1910.07467), FFN projections float or BitNet like the attention's.
 */
export interface TransformerBlock {
  readonly attention: MultiHeadAttention;
  readonly ffnIn: Projection;
  readonly ffnOut: Projection;
  readonly attentionNormGain: tf.Variable;
  readonly ffnNormGain: tf.Variable;
  /** RMSNorm before attention. */
  attentionInput(x: tf.Tensor): tf.Tensor;
  /** `h + FFN(RMSNorm(h))`, the second residual branch. */
  feedForward(h: tf.Tensor): tf.Tensor;
  /** The whole block, `[batch, seq, dModel]` → same. */
  apply(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** GELU, tanh form (Hendrycks & Gimpel 2016, https://arxiv.org/abs/1606.08415, §2). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  });
}

/**
 * Builds a pre-norm block with its own attention, FFN and norm gains (seeds derived from `seed`).
 *
 * @example
 * ```ts
 * const block = createTransformerBlock({ ...attentionOptions, ffnDim: 128 });
 * const y = block.apply(x); // [batch, seq, dModel]
 * block.dispose();
 * ```
 */
export function createTransformerBlock(options: TransformerBlockOptions): TransformerBlock {
  const { dModel, ffnDim, projections, seed } = options;
  const attention = createMultiHeadAttention(options);
  // A block that fails part-way (a bad projection config) frees what it built before rethrowing.
  const built: Array<{ dispose(): void }> = [attention];
  const own = <T extends { dispose(): void }>(make: () => T): T => {
    try {
      const made = make();
      built.push(made);
      return made;
    } catch (error) {
      for (const b of built) b.dispose();
      throw error;
    }
  };
  const ffnIn = own(() => createProjection(dModel, ffnDim, projections, seed * 16 + 5));
  const ffnOut = own(() => createProjection(ffnDim, dModel, projections, seed * 16 + 6));
  const attentionNormGain = own(() => trainableVariable(() => tf.ones([dModel])));
  const ffnNormGain = own(() => trainableVariable(() => tf.ones([dModel])));
  const self: TransformerBlock = {
    attention,
    ffnIn,
    ffnOut,
    attentionNormGain,
    ffnNormGain,
    attentionInput: (x) => rmsNorm(x, { gain: attentionNormGain }),
    feedForward: (h) =>
      tf.tidy(() => tf.add(h, ffnOut.apply(gelu(ffnIn.apply(rmsNorm(h, { gain: ffnNormGain })))))),
    apply: (x) => tf.tidy(() => self.feedForward(tf.add(x, attention.apply(self.attentionInput(x))))),
    dispose() {
      attention.dispose();
      ffnIn.dispose();
      ffnOut.dispose();
      attentionNormGain.dispose();
      ffnNormGain.dispose();
    },
  };
  return self;
}
