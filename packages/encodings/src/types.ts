import type { RopeLayout, ScoreMod } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * Where an encoding acts: added to token embeddings (`additive`), applied to queries and keys (`rotary`),
 * added to attention scores (`bias`), or nowhere (`none`, NoPE). The taxonomy follows Dufter et al. 2022,
 * "Position Information in Transformers: An Overview": https://arxiv.org/abs/2102.11090
 *
 * @example
 * ```ts
 * const kind: EncodingKind = positionalEncodings.get('alibi').capabilities.kind; // 'bias'
 * ```
 */
export type EncodingKind = 'additive' | 'rotary' | 'bias' | 'none';

/**
 * What every encoding has, whatever its kind (see {@link EncodingKind} for the taxonomy).
 *
 * @example
 * ```ts
 * const enc: EncodingBase = learnedPosition({ dim: 16, maxLength: 64 });
 * Object.keys(enc.variables); // ['table']
 * enc.dispose();
 * ```
 */
export interface EncodingBase {
  readonly kind: EncodingKind;
  /** The registry name, e.g. `sinusoidal` or `rope`. */
  readonly name: string;
  /** Trainable variables by name (empty for fixed encodings). */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  /** Frees the variables and any cached tables. The encoding must not be used afterwards. */
  dispose(): void;
}

/** Where the rows of an additive encoding start. */
export interface AdditiveOptions {
  /** Position of the first row (e.g. the KV-cache length when decoding). Default `0`. */
  offset?: number;
}

/**
 * An encoding added to token embeddings: sinusoidal, linear, learned (Vaswani et al. 2017, §3.5:
 * https://arxiv.org/abs/1706.03762). Tables are `[length, dim]`; `apply` adds one to embeddings
 * `[batch, length, dim]` (or `[length, dim]`).
 *
 * @example
 * ```ts
 * const enc: AdditiveEncoding = sinusoidal({ dim: 32 });
 * const h = enc.apply(tokenEmbeddings, { offset: cacheLength }); // [batch, length, 32]
 * ```
 */
export interface AdditiveEncoding extends EncodingBase {
  readonly kind: 'additive';
  /** Embedding width d. */
  readonly dim: number;
  /** The `[length, dim]` table of positions `offset … offset + length − 1`. */
  encode(length: number, options?: AdditiveOptions): tf.Tensor2D;
  /** `x + encode(length)`, for `x` of shape `[batch, length, dim]` or `[length, dim]`. */
  apply(x: tf.Tensor, options?: AdditiveOptions): tf.Tensor;
}

/**
 * Positions of a sequence: a non-negative integer offset (positions `offset, offset + 1, …`) or one
 * non-negative integer per row — the KV-cache offsets of RoPE (https://arxiv.org/abs/2104.09864).
 *
 * @example
 * ```ts
 * enc.rotate(x, { positions: 100 }); // rows at 100, 101, …
 * enc.rotate(x, { positions: [0, 5, 9] }); // three rows at explicit positions
 * ```
 */
export type Positions = number | ArrayLike<number>;

/** Positions for {@link RotaryEncoding.apply}. */
export interface RotaryApplyOptions {
  /**
   * Query positions. Default: when q and k have the same length, `0, 1, …`; otherwise bottom-right
   * aligned (the last query and the last key share a position, core's KV-cache convention).
   */
  positions?: Positions;
  /** Key positions. Default: `positions` when q and k have the same length (required otherwise). */
  kvPositions?: Positions;
}

/** Options of {@link RotaryEncoding.rotate}. */
export interface RotateOptions {
  /** Positions of the rows. Default `0` (positions `0, 1, …`). */
  positions?: Positions;
  /**
   * Whether x holds queries or keys: only xPos tells them apart (it scales them oppositely), so with xPos it is
   * required; without xPos it changes nothing and may be left out.
   */
  role?: 'query' | 'key';
}

/**
 * An encoding applied to queries and keys `[batch, heads, seq, headDim]`: RoPE and its scaled variants
 * (Su et al. 2021: https://arxiv.org/abs/2104.09864).
 *
 * @example
 * ```ts
 * const enc: RotaryEncoding = rope({ headDim: 64 });
 * const { q: qr, k: kr } = enc.apply(q, k, { positions: 128 }); // both rotated from position 128
 * ```
 */
export interface RotaryEncoding extends EncodingBase {
  readonly kind: 'rotary';
  readonly headDim: number;
  /** Rotated dimensions (the rest pass through). */
  readonly rotaryDim: number;
  readonly layout: RopeLayout;
  /** The rotation frequencies θ_i after context-extension scaling (float64), one per pair. */
  readonly inverseFrequencies: readonly number[];
  /** The factor folded into cos and sin (YaRN's 0.1·ln(s) + 1; 1 without YaRN). */
  readonly attentionFactor: number;
  /** Rotates q and k by their positions. Returns new tensors; the inputs are not disposed. */
  apply(q: tf.Tensor, k: tf.Tensor, options?: RotaryApplyOptions): { q: tf.Tensor4D; k: tf.Tensor4D };
  /** Rotates one tensor `[batch, heads, seq, headDim]`. */
  rotate(x: tf.Tensor, options?: RotateOptions): tf.Tensor4D;
}

/** Where the queries sit relative to the keys. */
export interface BiasOptions {
  /**
   * Position of query row 0 (keys start at 0). Default `0`. When decoding with a KV cache pass
   * `kvLen − qLen`, so that positions match core's bottom-right-aligned causal mask.
   */
  queryOffset?: number;
}

/**
 * An encoding added to attention scores: ALiBi (https://arxiv.org/abs/2108.12409) and T5 relative buckets
 * (https://arxiv.org/abs/1910.10683).
 *
 * @example
 * ```ts
 * const enc: BiasEncoding = alibi({ heads: 8 });
 * scaledDotProductAttention(q, k, v, { causal: true, scoreMod: enc.scoreMod() });
 * enc.bias(4, 4); // [8, 4, 4]
 * ```
 */
export interface BiasEncoding extends EncodingBase {
  readonly kind: 'bias';
  readonly heads: number;
  /** The bias `[heads, qLen, kvLen]` (differentiable in the encoding's variables). */
  bias(qLen: number, kvLen: number, options?: BiasOptions): tf.Tensor3D;
  /**
   * The bias as a core `ScoreMod`: a scalar form for references and figures and a tensor form (the one
   * attention uses) that carries gradients into the encoding's variables.
   */
  scoreMod(options?: BiasOptions): ScoreMod;
}

/**
 * NoPE: no positional information at all; causal attention can still infer order (Kazemnejad et al.
 * 2023: https://arxiv.org/abs/2305.19466).
 *
 * @example
 * ```ts
 * const enc: NoEncoding = nope();
 * ```
 */
export interface NoEncoding extends EncodingBase {
  readonly kind: 'none';
}

/**
 * Any positional encoding; switch on `kind` (taxonomy of Dufter et al. 2022:
 * https://arxiv.org/abs/2102.11090).
 *
 * @example
 * ```ts
 * function attend(enc: PositionalEncoding, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) {
 *   if (enc.kind === 'rotary') ({ q, k } = enc.apply(q, k));
 *   const scoreMod = enc.kind === 'bias' ? enc.scoreMod() : undefined;
 *   return scaledDotProductAttention(q, k, v, { causal: true, scoreMod });
 * }
 * ```
 */
export type PositionalEncoding = AdditiveEncoding | RotaryEncoding | BiasEncoding | NoEncoding;
