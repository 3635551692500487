import {
  assertKnownOptions,
  assertNumber,
  hashSeed,
  IncompatibleOptionsError,
  InvalidArgumentError,
  scaledDotProductAttention,
  seededNormal,
  validateAttentionInputs,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { projectSequence } from './project-sequence.js';

/**
 * How Linformer's projections E (keys) and F (values) are shared (Wang et al. 2020,
 * https://arxiv.org/abs/2006.04768, section 4, "parameter sharing"):
 *
 * - `'none'`: E and F per head, `[heads, k, n]` each;
 * - `'headwise'`: one E and one F for all heads of a layer;
 * - `'key-value'`: one matrix, E = F, for all heads of a layer;
 * - `'layerwise'`: one matrix E = F shared by all heads of all layers: create one projections object and
 *   pass it to every layer (the registered mechanism takes it as `config.projections`).
 */
export type LinformerSharing = 'none' | 'headwise' | 'key-value' | 'layerwise';

/**
 * The sharing modes of {@link LinformerSharing}, for validation and UIs (https://arxiv.org/abs/2006.04768, section 4).
 *
 * @example
 * ```ts
 * LINFORMER_SHARING.map((sharing) => createLinformerProjections({ seqLen: 512, sharing }));
 * ```
 */
export const LINFORMER_SHARING: readonly LinformerSharing[] = ['none', 'headwise', 'key-value', 'layerwise'];

/** Options of {@link createLinformerProjections}. */
export interface LinformerProjectionsOptions {
  /** The fixed sequence length n the projections are built for. */
  seqLen: number;
  /** k, the projected length. Default `min(256, seqLen)` (the paper uses k = 128 or 256). */
  projectedLength?: number;
  /** Key/value heads; used by `sharing: 'none'` (one E, F per head). Default 1. */
  heads?: number;
  /** Parameter sharing. Default `'headwise'`. */
  sharing?: LinformerSharing;
  /** Seed of the initial values. Default 0. */
  seed?: number;
}

/** Linformer's trainable projections along the sequence. Dispose them once, when no layer uses them. */
export interface LinformerProjections {
  readonly seqLen: number;
  readonly projectedLength: number;
  readonly heads: number;
  readonly sharing: LinformerSharing;
  /** E: `[heads, k, n]` for `'none'`, else `[k, n]`. */
  readonly e: tf.Variable;
  /** F: like E; the same variable as E for `'key-value'` and `'layerwise'`. */
  readonly f: tf.Variable;
  /** The distinct variables (`{ e, f }` or `{ e }`), for optimisers. */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  dispose(): void;
}

const CREATE = 'createLinformerProjections';
const FN = 'linformerAttention';

/**
 * Creates Linformer's projections E, F ∈ R^{k×n} (Wang et al. 2020, "Linformer: Self-Attention with Linear
 * Complexity", https://arxiv.org/abs/2006.04768, eq. 7), as trainable variables initialised Glorot-normal
 * (std √(2/(n + k))) from `seed`.
 *
 * @example
 * ```ts
 * const shared = createLinformerProjections({ seqLen: 1024, projectedLength: 128, sharing: 'layerwise' });
 * const y1 = linformerAttention(q1, k1, v1, shared); // layer 1
 * const y2 = linformerAttention(q2, k2, v2, shared); // layer 2, same E
 * ```
 */
export function createLinformerProjections(options: LinformerProjectionsOptions): LinformerProjections {
  assertKnownOptions(CREATE, options, ['seqLen', 'projectedLength', 'heads', 'sharing', 'seed']);
  const { seqLen } = options;
  assertNumber(CREATE, 'options.seqLen', seqLen, { integer: true, min: 1 });
  const projectedLength = options.projectedLength ?? Math.min(256, seqLen);
  assertNumber(CREATE, 'options.projectedLength', projectedLength, { integer: true, min: 1 });
  const heads = options.heads ?? 1;
  assertNumber(CREATE, 'options.heads', heads, { integer: true, min: 1 });
  const sharing = options.sharing ?? 'headwise';
  if (!LINFORMER_SHARING.includes(sharing)) {
    throw new InvalidArgumentError(
      CREATE,
      'options.sharing',
      `one of ${LINFORMER_SHARING.join(', ')}`,
      sharing,
    );
  }
  const seed = options.seed ?? 0;
  assertNumber(CREATE, 'options.seed', seed, { integer: true });
  const shape = sharing === 'none' ? [heads, projectedLength, seqLen] : [projectedLength, seqLen];
  const std = Math.sqrt(2 / (seqLen + projectedLength));
  const init = (s: number) => {
    const values = seededNormal(shape, s, std);
    const variable = tf.variable(values, true);
    values.dispose();
    return variable;
  };
  const e = init(hashSeed(seed, 0));
  const f = sharing === 'headwise' || sharing === 'none' ? init(hashSeed(seed, 1)) : e;
  const owned: Record<string, tf.Variable> = e === f ? { e } : { e, f };
  const variables = Object.freeze(owned);
  return Object.freeze({
    seqLen,
    projectedLength,
    heads: sharing === 'none' ? heads : 1,
    sharing,
    e,
    f,
    variables,
    dispose: () => tf.dispose(Object.values(variables)),
  });
}

/** Options of {@link linformerAttention}. */
export interface LinformerAttentionOptions {
  /** Multiplier of q·k. Default `1/√headDim`. */
  scale?: number;
  /** Not supported: passing `true` throws an {@link IncompatibleOptionsError} that says why. */
  causal?: boolean;
}

function projectPerHead(e: tf.Variable, x: tf.Tensor): tf.Tensor {
  const b = x.shape[0]!;
  const e4 = tf.expandDims(e, 0);
  return tf.matMul(b === 1 ? e4 : tf.tile(e4, [b, 1, 1, 1]), x);
}

/**
 * Linformer attention (Wang et al. 2020, https://arxiv.org/abs/2006.04768, eq. 7):
 * `softmax(q (E k)ᵀ · scale) (F v)`, with E, F projecting the n keys and values to k ≪ n rows, so time and
 * memory are O(n·k). The sequence length is fixed by the projections (a different length throws; pad to n
 * or build new projections). Not causal: E and F mix every position into every projected row. Shapes: q
 * `[batch, heads, qLen, d]`, k and v `[batch, kvHeads, n, ·]` (`'none'` sharing needs `projections.heads ===
 * kvHeads`) → `[batch, heads, qLen, dv]`. Gradients reach q, k, v, E and F.
 *
 * @example
 * ```ts
 * const proj = createLinformerProjections({ seqLen: 512, projectedLength: 128 });
 * const out = linformerAttention(q, k, v, proj); // q, k, v: [1, 8, 512, 64]
 * ```
 */
export function linformerAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  projections: LinformerProjections,
  options: LinformerAttentionOptions = {},
): tf.Tensor4D {
  const dims = validateAttentionInputs(FN, q, k, v);
  assertKnownOptions(FN, options, ['scale', 'causal']);
  if (options.causal === true) {
    throw new IncompatibleOptionsError(
      FN,
      'Linformer cannot be causal: its projections E and F mix every position, future ones included, into ' +
        'every projected key and value, so no mask can hide the future afterwards. Use linear attention ' +
        '(causal: true), a Performer, or dense attention for autoregressive models.',
    );
  }
  if (options.causal !== undefined && typeof options.causal !== 'boolean') {
    throw new InvalidArgumentError(FN, 'options.causal', 'a boolean', options.causal);
  }
  const p = projections as Partial<LinformerProjections> | null;
  if (p === null || typeof p !== 'object' || !(p.e instanceof tf.Variable) || !(p.f instanceof tf.Variable)) {
    throw new InvalidArgumentError(
      FN,
      'projections',
      'projections from createLinformerProjections',
      projections,
    );
  }
  if (dims.kvLen !== projections.seqLen) {
    throw new InvalidArgumentError(
      FN,
      'k.shape[2] (sequence length)',
      `${projections.seqLen} (the length the projections were built for)`,
      dims.kvLen,
      `Linformer's E and F are ${projections.projectedLength}×${projections.seqLen}: pad the input to ` +
        `${projections.seqLen} tokens or create projections for ${dims.kvLen}.`,
    );
  }
  if (projections.sharing === 'none' && projections.heads !== dims.kvHeads) {
    throw new InvalidArgumentError(
      FN,
      'k.shape[1] (kv heads)',
      `${projections.heads} (the heads of the 'none'-shared projections)`,
      dims.kvHeads,
    );
  }
  const scale = options.scale ?? 1 / Math.sqrt(dims.headDim);
  assertNumber(FN, 'options.scale', scale);
  return tf.tidy(() => {
    const shared = projections.sharing !== 'none';
    const kp = shared
      ? projectSequence(projections.e as tf.Tensor as tf.Tensor2D, k)
      : projectPerHead(projections.e, k);
    const vp = shared
      ? projectSequence(projections.f as tf.Tensor as tf.Tensor2D, v)
      : projectPerHead(projections.f, v);
    return scaledDotProductAttention(q, kp, vp, { scale });
  });
}
