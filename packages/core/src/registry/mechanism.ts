import type * as tf from '@tensorflow/tfjs-core';
import type { AttentionOptions } from '../attention-options.js';
import type { MaskMod } from '../types.js';
import type { OptionSchema } from './option-schema.js';
import type { PaperReference } from './paper-reference.js';

/** How a mechanism's output relates to dense softmax attention. */
export type MechanismAccuracy =
  | {
      /** Equal to dense attention (under `denseEquivalent`'s mask) up to float32 rounding. */
      readonly kind: 'exact';
    }
  | {
      /** An approximation; the conformance test checks `relativeError ≤ tolerance` on random inputs. */
      readonly kind: 'approximate';
      /** Bound on ‖out − dense‖_F / ‖dense‖_F for the default config on unit-normal inputs. */
      readonly tolerance: number;
      /** The bound in words, with its source (paper, measurement). */
      readonly bound: string;
    }
  | {
      /** Computes a different function on purpose (e.g. sparsemax, Hamming similarity); checked for shape and finiteness only. */
      readonly kind: 'different';
      readonly note: string;
    };

/** What a mechanism supports, as data (xformers-style), frozen. */
export interface MechanismCapabilities {
  /** The survey family: dense, sparse, adaptive, linear, low-rank, hashing, quantized. */
  readonly family: 'dense' | 'sparse' | 'adaptive' | 'linear' | 'low-rank' | 'hashing' | 'quantized';
  readonly accuracy: MechanismAccuracy;
  readonly supportsCausal: boolean;
  /** Accepts an arbitrary `mask` option (a mechanism that ignores masks must say false). */
  readonly supportsMask: boolean;
  readonly supportsScoreMod: boolean;
  /** Accepts qLen ≠ kvLen. */
  readonly supportsCrossAttention: boolean;
  /** Accepts fewer kv heads than q heads. */
  readonly supportsGroupedQuery: boolean;
  /** Needs the sequence length fixed at creation (Linformer). */
  readonly requiresFixedLength: boolean;
  /** Time complexity in N (sequence length), e.g. `O(N²·d)`. */
  readonly timeComplexity: string;
  /** Forward memory in N, e.g. `O(N·d)`. */
  readonly memoryComplexity: string;
  /** Whether `create` makes trainable variables. */
  readonly trainableParameters: boolean;
}

/** Shape facts a mechanism factory needs. */
export interface MechanismContext {
  /** Seed for every random thing the mechanism draws (features, projections, hashes). */
  readonly seed: number;
  readonly heads: number;
  readonly headDim: number;
  /** The sequence length, for mechanisms that fix it (Linformer) or size tables by it. */
  readonly seqLen?: number;
}

/** Per-call options every mechanism takes; unsupported ones (per capabilities) throw. */
export type MechanismApplyOptions = Pick<AttentionOptions, 'causal' | 'mask' | 'scoreMod'>;

/** A created mechanism: its parameters and its forward function. */
export interface MechanismInstance {
  /** Trainable variables by name (empty for parameter-free mechanisms). */
  readonly params: Readonly<Record<string, tf.Variable>>;
  /** Attention over `[batch, heads, seq, headDim]` inputs. */
  apply(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options?: MechanismApplyOptions): tf.Tensor4D;
  /**
   * For exact mechanisms: the options under which dense attention computes the same function (e.g. the
   * sliding-window mask of a block-sparse instance), given the call's options.
   */
  denseEquivalent?(options: MechanismApplyOptions, shape: { qLen: number; kvLen: number }): AttentionOptions;
  /**
   * A loss term the mechanism adds to the task loss, scaled by `weight` (e.g. adaptive span's L1 span
   * penalty). Models sum it over layers; absent means none.
   */
  auxiliaryLoss?(weight: number): tf.Scalar;
  /** Called after each optimizer step to project parameters back into their valid set (e.g. clamp spans to [0, S]). */
  constrain?(): void;
  /** What the mechanism learned or decided, as plain data (spans per head, entmax α, density…). */
  inspect?(): Record<string, unknown>;
  /**
   * How a model decodes one token at a time with this instance (see {@link DecodingPlan}). Absent: a KV
   * cache when the mechanism supports cross-attention, recomputing the prefix otherwise.
   */
  decoding?(context: DecodingContext): DecodingPlan;
  /** Frees the parameters. */
  dispose(): void;
}

/** What a model tells a mechanism instance when it plans token-by-token decoding. */
export interface DecodingContext {
  /** Whether the layer is causal (decoding always is, in a causal LM). */
  readonly causal: boolean;
  /** Whether the layer adds a mask of its own (a model-level mask pattern) on top of the mechanism. */
  readonly masked: boolean;
}

/** The running state of recurrent decoding: one query, key and value per step, O(1) work per token. */
export interface RecurrentDecoder {
  /** Tokens consumed so far. */
  readonly length: number;
  /** Consumes one position (`[batch, heads, 1, headDim]` each) and returns its output; keeps its own state tensors alive. */
  step(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

/**
 * How one layer decodes token by token:
 * - `kv-cache`: keep every key and value (or the last `window` of them, a rolling cache), and attend from
 *   the new query with `attend` (`'instance'`: the instance's own `apply`; `'exact'`: dense softmax attention
 *   under the mask, right for exact mechanisms whose mask is given by `maskAt`). `maskAt(position)` rebuilds the
 *   mechanism's mask pattern for a square prefix of `position + 1` tokens (the new query is its last row).
 * - `recurrent`: a running state (causal linear attention, Katharopoulos et al. 2020 §3.4).
 * - `recompute`: run the whole prefix again each step (mechanisms that cannot attend from one query).
 */
export type DecodingPlan =
  | {
      readonly kind: 'kv-cache';
      /** Keep only the last `window` keys (a causal sliding window of `window` tokens, the query included). */
      readonly window?: number;
      readonly attend?: 'instance' | 'exact';
      readonly maskAt?: (position: number) => MaskMod;
    }
  | {
      readonly kind: 'recurrent';
      createDecoder(shape: {
        readonly batch: number;
        readonly heads: number;
        readonly headDim: number;
      }): RecurrentDecoder;
    }
  | { readonly kind: 'recompute' };

/**
 * Opt-in: the mechanism belongs in the timing experiments (inference scaling, benchmarks) up to
 * `maxLength` tokens (an O(N²) mechanism stops where its N² scores stop fitting).
 */
export interface BenchmarkCapability {
  /** Longest sequence worth timing. */
  readonly maxLength: number;
  /** The config to time at length `n` (default: the definition's default config). */
  config?(n: number): object;
}

/**
 * A learned term a mechanism adds to the task loss, named in model configs' `regularization` object by
 * `key` (e.g. adaptive span's `spanPenalty`).
 */
export interface RegularizationSpec {
  readonly key: string;
  /** The weight models use when the config gives none. */
  readonly defaultWeight: number;
  readonly description: string;
}

/** A registered attention mechanism: a name, capabilities and a factory. */
export interface MechanismDefinition<Config extends object = object> {
  readonly name: string;
  /** Display name for tables and figures, e.g. `Block-sparse attention`. */
  readonly title: string;
  /** One sentence for tables and figures. */
  readonly description: string;
  /** The paper that introduced it. */
  readonly paper: PaperReference;
  readonly capabilities: MechanismCapabilities;
  /** Every config key: type, default, valid range, meaning (the one place that says what a valid config is). */
  readonly options: OptionSchema;
  /** The config `create` uses when given none; also what the conformance test runs. */
  readonly defaultConfig: Config;
  /**
   * Resolves a config whose valid keys depend on other keys (e.g. a named pattern's parameters), in place of
   * the plain {@link options} check: validates it (throwing an `InvalidArgumentError` naming `path.key`) and
   * returns it with its defaults filled in.
   */
  checkConfig?(config: Readonly<Record<string, unknown>>, fn: string, path: string): Record<string, unknown>;
  /** A loss term the instance can add (see {@link MechanismInstance.auxiliaryLoss}). */
  readonly regularization?: RegularizationSpec;
  /** Opt-in to the timing experiments (see {@link BenchmarkCapability}). */
  readonly benchmark?: BenchmarkCapability;
  create(config: Partial<Config>, context: MechanismContext): MechanismInstance;
}

/** Freezes a capabilities record (and its accuracy) so that it is data, not state.  *
 * @example
 * ```ts
 * const capabilities = defineCapabilities({ family: 'sparse', accuracy: { kind: 'exact' }, supportsCausal: true, … });
 * ```
 */
export function defineCapabilities(c: MechanismCapabilities): MechanismCapabilities {
  return Object.freeze({ ...c, accuracy: Object.freeze({ ...c.accuracy }) });
}
