import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * A mask predicate in the style of PyTorch FlexAttention's `mask_mod`: returns `true` where query `q` of
 * batch `b`, head `h` may attend to key/value position `kv`. It must be a pure function of its arguments.
 *
 * Patterns that do not depend on the batch or head index may say so (`batchInvariant`, `headInvariant`);
 * mask builders then evaluate them once and broadcast, as FlexAttention does with `B=None, H=None`.
 *
 * @example
 * ```ts
 * const causal: MaskMod = (_b, _h, q, kv) => kv <= q;
 * ```
 */
export interface MaskMod {
  (b: number, h: number, q: number, kv: number): boolean;
  /** True when the result never depends on `b`. */
  readonly batchInvariant?: boolean;
  /** True when the result never depends on `h`. */
  readonly headInvariant?: boolean;
}

/** The scalar form of a score modifier: FlexAttention's `score_mod(score, b, h, q, kv)`. */
export type ScalarScoreMod = (score: number, b: number, h: number, q: number, kv: number) => number;

/**
 * Where a block of scores sits inside the full `[batch, heads, qLen, kvLen]` score tensor. Attention
 * implementations call a tensor score modifier on blocks (a head, a chunk of queries and keys); the
 * context tells it which.
 */
export interface ScoreModContext {
  /** First batch index covered by the block. */
  readonly batchStart: number;
  /** First head index covered by the block. */
  readonly headStart: number;
  /** Number of heads covered by the block (the block's dimension 1). */
  readonly headCount: number;
  /** First query index covered by the block. */
  readonly qStart: number;
  /** First key index covered by the block. */
  readonly kvStart: number;
  /** Full query length of the attention call. */
  readonly qLen: number;
  /** Full key length of the attention call. */
  readonly kvLen: number;
  /** Query indices of the block as a float32 tensor of shape `[1, 1, blockQ, 1]`, disposed by the caller. */
  qPositions(): Tensor;
  /** Key indices of the block as a float32 tensor of shape `[1, 1, 1, blockKv]`, disposed by the caller. */
  kvPositions(): Tensor;
}

/**
 * The tensor form of a score modifier: takes a block of scores shaped `[batch, heads, blockQ, blockKv]`
 * and returns the modified block (same shape), built from tfjs ops so gradients reach learnable
 * parameters (ALiBi slopes, T5 buckets, adaptive spans).
 */
export type TensorScoreMod = (scores: Tensor, ctx: ScoreModContext) => Tensor;

/**
 * A score modifier: a scalar form for references and figures, and an optional tensor form that
 * attention implementations prefer (it is fast and differentiable). Build one with {@link scoreMod}.
 */
export interface ScoreMod {
  readonly kind: 'score-mod';
  /** A short name for error messages and figures, e.g. `alibi`. */
  readonly name: string;
  readonly scalar: ScalarScoreMod;
  readonly tensor?: TensorScoreMod;
}

/**
 * Builds a {@link ScoreMod} from its scalar and (optionally) tensor forms.
 *
 * @example
 * ```ts
 * // A relative bias of -0.1 per position of distance, as ALiBi does with one slope.
 * const bias = scoreMod({
 *   name: 'distance-penalty',
 *   scalar: (s, _b, _h, q, kv) => s - 0.1 * Math.abs(q - kv),
 *   tensor: (s, ctx) => tf.tidy(() => tf.sub(s, tf.mul(0.1, tf.abs(tf.sub(ctx.qPositions(), ctx.kvPositions()))))),
 * });
 * ```
 */
export function scoreMod(spec: { name: string; scalar: ScalarScoreMod; tensor?: TensorScoreMod }): ScoreMod {
  return Object.freeze({ kind: 'score-mod', ...spec });
}

/** The shape facts of one attention call, read from validated inputs. */
export interface AttentionDims {
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  readonly valueDim: number;
}
