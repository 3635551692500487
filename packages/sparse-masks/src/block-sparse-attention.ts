import {
  assertKnownOptions,
  assertNumber,
  blockSparseAttentionKernel,
  blockSparseAttentionReference,
  InvalidArgumentError,
  type ScoreMod,
  validateAttentionInputs,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { BlockMask } from './block-mask.js';

/** Options of {@link blockSparseAttention}. */
export interface BlockSparseAttentionOptions {
  /** Multiplier of q·k. Default `1 / √headDim`. */
  scale?: number;
  /**
   * A score modifier applied to the scaled scores of the visited blocks before masking. Being a closure, it
   * runs on core's tfjs-ops reference, never on a registered kernel.
   */
  scoreMod?: ScoreMod;
}

const FN = 'blockSparseAttention';

/**
 * Attention that computes only the blocks a {@link BlockMask} lists: for each query block it gathers the
 * listed key/value blocks, computes their scores, masks the partial ones with their bitmasks and normalises
 * with a (online, across steps) softmax. The result equals dense masked attention
 * (`scaledDotProductAttention(q, k, v, { mask: blockMask.maskMod })`) up to float rounding, with work and
 * forward memory proportional to the visited blocks, not N². Rows with no allowed key give zeros.
 *
 * Shapes: q `[batch, heads, qLen, headDim]`, k `[batch, kvHeads, kvLen, headDim]`, v `[batch, kvHeads, kvLen,
 * valueDim]` (kvHeads divides heads) → `[batch, heads, qLen, valueDim]`. The mask must have been built for
 * `qLen` and `kvLen` (and for `batch` / `heads` unless it broadcasts); causal masking is part of the mask
 * (`causal()`).
 *
 * Dispatch: through core's `EABlockSparseAttention` kernel contract — a kernel registered for the active
 * backend (by `@efficient-attention/backends`) runs when present, else the tfjs-ops reference. Gradients
 * flow to q, k, v (and a score modifier's tensor form) through the reference; its backward pass costs
 * O(N² · d / blockSize) time.
 *
 * Child et al. 2019, https://arxiv.org/abs/1904.10509; FlexAttention (Dong et al. 2024),
 * https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const mask = createBlockMask(slidingWindow({ radius: 128 }), 4096, 4096, { blockSize: 128 });
 * const out = blockSparseAttention(q, k, v, mask); // [1, 8, 4096, 64], about 9% of dense work
 * ```
 */
export function blockSparseAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  blockMask: BlockMask,
  options: BlockSparseAttentionOptions = {},
): tf.Tensor4D {
  const dims = validateAttentionInputs(FN, q, k, v);
  if (!(blockMask instanceof BlockMask)) {
    throw new InvalidArgumentError(FN, 'blockMask', 'a BlockMask built with createBlockMask', blockMask);
  }
  blockMask.assertFits(FN, dims);
  assertKnownOptions(FN, options, ['scale', 'scoreMod']);
  const scale = options.scale ?? 1 / Math.sqrt(dims.headDim);
  assertNumber(FN, 'options.scale', scale);
  const attrs = { blockSize: blockMask.blockSize, qLen: dims.qLen, kvLen: dims.kvLen, scale };
  return tf.tidy(() => {
    const inputs = { q, k, v, ...blockMask.toTensors() };
    const out =
      options.scoreMod === undefined
        ? blockSparseAttentionKernel.run(inputs, attrs)
        : blockSparseAttentionReference(inputs, attrs, { scoreMod: options.scoreMod });
    return out as tf.Tensor4D;
  });
}
