import type * as tf from '@tensorflow/tfjs-core';
import type { AttentionOptions } from '../attention-options.js';

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
  /** The paper, as a URL. */
  readonly paper: string;
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
  /** Frees the parameters. */
  dispose(): void;
}

/** A registered attention mechanism: a name, capabilities and a factory. */
export interface MechanismDefinition<Config extends object = object> {
  readonly name: string;
  /** One sentence for tables and figures. */
  readonly description: string;
  readonly capabilities: MechanismCapabilities;
  /** The config `create` uses when given none; also what the conformance test runs. */
  readonly defaultConfig: Config;
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
