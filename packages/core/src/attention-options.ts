import type * as tf from '@tensorflow/tfjs-core';
import type { AttentionMaskInput } from './attention-mask.js';
import { InvalidArgumentError } from './errors.js';
import type { AttentionDims, ScoreMod } from './types.js';
import { assertKnownOptions, assertNumber } from './validation.js';

/** Options shared by every exact attention implementation. */
export interface AttentionOptions {
  /** Multiplier of q·k. Default `1 / √headDim`. */
  scale?: number;
  /** Causal masking, bottom-right aligned when q and kv lengths differ (query i sees kv ≤ i + kvLen − qLen). */
  causal?: boolean;
  /** A {@link MaskMod} predicate, or a boolean / 0-1 tensor broadcastable to `[batch, heads, qLen, kvLen]`. */
  mask?: AttentionMaskInput;
  /** A score modifier applied to the scaled scores before masking and softmax. */
  scoreMod?: ScoreMod;
}

/** Options after defaults, shared by the implementations. */
export interface ResolvedAttentionOptions {
  scale: number;
  causal: boolean;
  mask: AttentionMaskInput | undefined;
  scoreMod: ScoreMod | undefined;
}

/** The option names {@link AttentionOptions} accepts, for `assertKnownOptions`. */
export const ATTENTION_OPTION_KEYS = ['scale', 'causal', 'mask', 'scoreMod'] as const;

/** Validates and fills defaults. `extraKeys` are the caller's own options.  *
 * @example
 * ```ts
 * const dims = validateAttentionInputs('myAttention', q, k, v);
 * const { scale, causal, mask } = resolveAttentionOptions('myAttention', dims, options, ['blockSize']);
 * ```
 */
export function resolveAttentionOptions(
  fn: string,
  dims: AttentionDims,
  options: AttentionOptions | undefined,
  extraKeys: readonly string[] = [],
): ResolvedAttentionOptions {
  assertKnownOptions(fn, options, [...ATTENTION_OPTION_KEYS, ...extraKeys]);
  const o = options ?? {};
  const scale = o.scale ?? 1 / Math.sqrt(dims.headDim);
  assertNumber(fn, 'options.scale', scale);
  // The attribute rule of the kernel contracts (resolveAttentionScale): a scale ≤ 0 inverts or flattens
  // the softmax, so every path rejects it.
  if (scale <= 0) throw new InvalidArgumentError(fn, 'options.scale', 'a finite number > 0', scale);
  if (o.causal !== undefined && typeof o.causal !== 'boolean') {
    throw new InvalidArgumentError(fn, 'options.causal', 'a boolean', o.causal);
  }
  return { scale, causal: o.causal === true, mask: o.mask, scoreMod: o.scoreMod };
}

/** Splits `[B, H, N, D]` into B·H tensors `[N, D]` (row-major over batch then head).  *
 * @example
 * ```ts
 * const heads = splitHeads(tf, q); // [2, 4, N, d] → eight [N, d] tensors, batch-major
 * ```
 */
export function splitHeads(tfx: typeof tf, x: tf.Tensor): tf.Tensor2D[] {
  const [b, h, n, d] = x.shape as [number, number, number, number];
  // tfjs 4.22's Unpack gradient breaks for a single output (the tape hands it a tensor, not an array).
  if (b * h === 1) return [tfx.reshape(x, [n, d]) as tf.Tensor2D];
  return tfx.unstack(tfx.reshape(x, [b * h, n, d])) as tf.Tensor2D[];
}

/** Index of the kv head that q head `h` reads under grouped-query attention.  *
 * @example
 * ```ts
 * kvHeadOf({ ...dims, heads: 8, kvHeads: 2 }, 5); // 1: heads 4–7 read kv head 1
 * ```
 */
export function kvHeadOf(dims: AttentionDims, h: number): number {
  return Math.floor(h / (dims.heads / dims.kvHeads));
}
