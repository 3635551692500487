import {
  type AttentionDims,
  assertKnownOptions,
  assertNumber,
  causalLinearAttentionKernel,
  InvalidArgumentError,
  kvHeadOf,
  rowBlocks,
  validateAttentionInputs,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  keyFeatures,
  keyFeaturesTransposed,
  type PreparedFeatureMap,
  prepareFeatureMap,
  projectionTensor,
  queryFeatures,
} from './apply-feature-map.js';
import { eluPlusOne, type FeatureMap, resolveFeatureMap } from './feature-maps.js';
import { repeatKvHeads } from './repeat-kv-heads.js';

/** Options of {@link linearAttention}. */
export interface LinearAttentionOptions {
  /** The kernel feature map φ. Default {@link eluPlusOne}. */
  featureMap?: FeatureMap;
  /** Causal (autoregressive) attention, bottom-right aligned when q and kv lengths differ. Default `false`. */
  causal?: boolean;
  /** Positions per chunk of the causal prefix-sum scan (any integer ≥ 1; need not divide N). Default 128. */
  chunkSize?: number;
  /**
   * Lower bound of the normaliser `φ(q)·Σφ(k)`: `out = num / max(den, eps)`. Rows with no overlap (possible
   * with ReLU) give zeros instead of 0/0. Default 1e-12, small enough not to bias FAVOR+'s stabilised features.
   */
  eps?: number;
}

/** Options after validation and defaults. */
export interface ResolvedLinearAttentionOptions {
  causal: boolean;
  chunkSize: number;
  eps: number;
}

/** Default positions per chunk of the causal scan (measured on wasm: fewer, larger chunks pay less op overhead). */
export const DEFAULT_CHUNK_SIZE = 128;
/** Default lower bound of the normaliser. */
export const DEFAULT_EPS = 1e-12;

const FN = 'linearAttention';

/** Validates `causal`, `chunkSize` and `eps` (shared with the registered mechanisms). */
export function resolveLinearOptions(
  fn: string,
  options: { causal?: unknown; chunkSize?: unknown; eps?: unknown },
): ResolvedLinearAttentionOptions {
  const causal = options.causal ?? false;
  if (typeof causal !== 'boolean') throw new InvalidArgumentError(fn, 'options.causal', 'a boolean', causal);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  assertNumber(fn, 'options.chunkSize', chunkSize, { integer: true, min: 1 });
  const eps = options.eps ?? DEFAULT_EPS;
  assertNumber(fn, 'options.eps', eps, { positive: true });
  return { causal, chunkSize, eps };
}

/**
 * Normalised linear attention with a kernel feature map φ (Katharopoulos et al. 2020, "Transformers are
 * RNNs", https://arxiv.org/abs/2006.16236, eq. 4–6; with FAVOR+ features it is the Performer, Choromanski et
 * al. 2020, https://arxiv.org/abs/2009.14794):
 *
 * `out_i = φ(q_i)ᵀ (Σ_j φ(k_j) v_jᵀ) / max(φ(q_i)ᵀ Σ_j φ(k_j), eps)`, the sums over all j, or over
 * `j ≤ i + kvLen − qLen` when `causal`.
 *
 * Non-causal cost is O(N·F·d) time per head; the states `S = φ(K)ᵀV` (`F × dv`) and `z = φ(K)ᵀ1` are built
 * once per kv head over blocks of keys and shared by its query heads (grouped-query attention), so working
 * memory beyond inputs and output is O(block·F + F·dv). The causal form runs
 * core's `EACausalLinearAttention` kernel (chunked prefix sums; a registered backend kernel is used when there
 * is one). Shapes: q `[batch, heads, qLen, d]`, k `[batch, kvHeads, kvLen, d]`, v `[batch, kvHeads, kvLen,
 * dv]` → `[batch, heads, qLen, dv]`. No `scale` option: elu+1 and ReLU have none, FAVOR+ builds `1/√d` into φ.
 * Gradients flow to q, k, v: with a backend kernel registered, the causal form trains through the kernel's
 * registered gradient (three more O(N) scans through the same kernel); without one, through tfjs autodiff of
 * the chunked reference (O(N) memory except the chunk-gradient padding noted on the kernel). For decoding one
 * token at a time use {@link createLinearAttentionState}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { favorPlus, linearAttention } from '@efficient-attention/linear-attention';
 * const q = tf.randomNormal([1, 8, 4096, 64]);
 * const out = linearAttention(q, q, q, { causal: true }); // elu + 1 features, O(N)
 * const performer = linearAttention(q, q, q, { featureMap: favorPlus({ seed: 1 }) });
 * ```
 */
export function linearAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: LinearAttentionOptions = {},
): tf.Tensor4D {
  const dims = validateAttentionInputs(FN, q, k, v);
  assertKnownOptions(FN, options, ['featureMap', 'causal', 'chunkSize', 'eps']);
  const map = resolveFeatureMap(FN, 'options.featureMap', options.featureMap ?? eluPlusOne());
  const resolved = resolveLinearOptions(FN, options);
  return runLinearAttention(prepareFeatureMap(map, dims.headDim), q, k, v, dims, resolved);
}

/**
 * {@link linearAttention} with an already prepared feature map and validated inputs (the registered
 * mechanisms draw FAVOR+'s W once, at creation). Internal to the package.
 */
export function runLinearAttention(
  prepared: PreparedFeatureMap,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  dims: AttentionDims,
  options: ResolvedLinearAttentionOptions,
): tf.Tensor4D {
  return tf.tidy(() => {
    const projection = projectionTensor(prepared);
    return options.causal
      ? causalForm(prepared, projection, q, k, v, dims, options)
      : nonCausalForm(prepared, projection, q, k, v, dims, options.eps);
  });
}

/**
 * Floats per `[rows, F]` block of the non-causal form (2 MB). Whole-sequence ops on tfjs-wasm slow down once
 * a head's features outgrow the cache (measured: 5–6× the time for 4× the rows at N = 16384, F = 267), so
 * long sequences are processed in blocks of `2^19 / F` rows (8192 for elu+1 at d = 64, 1963 for FAVOR+'s 267).
 */
const BLOCK_FLOATS = 2 ** 19;

function sequenceBlocks(n: number, features: number): Array<[number, number]> {
  const rows = Math.max(256, Math.floor(BLOCK_FLOATS / features));
  const out: Array<[number, number]> = [];
  for (let start = 0; start < n; start += rows) out.push([start, Math.min(rows, n - start)]);
  return out;
}

/**
 * Per kv head, over blocks of keys: `S = Σ φ(K_b)ᵀ V_b` and `z = Σ φ(K_b)ᵀ 1` (stabilised FAVOR+ merges the
 * blocks' shifts exactly: `S = Σ e^(c_b − c) S_b` with `c = max c_b`), shared by the head's query group; then
 * per query head and block `φ(Q_b) S / max(φ(Q_b) z, eps)`. Every matMul is 2-D without transpose flags (the
 * XNNPACK path on wasm): keys arrive transposed, so φ(K)ᵀ is computed directly.
 */
function nonCausalForm(
  prepared: PreparedFeatureMap,
  projection: tf.Tensor2D | undefined,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  dims: AttentionDims,
  eps: number,
): tf.Tensor4D {
  const { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim } = dims;
  const qRows = rowBlocks(tf.reshape(q, [batch * heads * qLen, headDim]) as tf.Tensor2D);
  const kRows = rowBlocks(tf.reshape(k, [batch * kvHeads * kvLen, headDim]) as tf.Tensor2D);
  const vRows = rowBlocks(tf.reshape(v, [batch * kvHeads * kvLen, valueDim]) as tf.Tensor2D);
  const states: Array<[tf.Tensor2D, tf.Tensor2D]> = [];
  for (let g = 0; g < batch * kvHeads; g++) {
    states.push(
      tf.tidy(() => {
        const parts = sequenceBlocks(kvLen, prepared.numFeatures).map(([start, size]) =>
          tf.tidy(() => {
            const kT = kRows.rowsTransposed(g * kvLen + start, size);
            const { features, shift } = keyFeaturesTransposed(prepared, kT, projection);
            const s = tf.matMul(features, vRows.rows(g * kvLen + start, size)) as tf.Tensor2D;
            return {
              s,
              z: tf.sum(features, 1, true) as tf.Tensor2D,
              ...(shift === undefined ? {} : { shift }),
            };
          }),
        );
        if (parts.length === 1) return [parts[0]!.s, parts[0]!.z] as [tf.Tensor2D, tf.Tensor2D];
        // Blocks of stabilised FAVOR+ keys carry their own shifts c_b: rescale to the largest before adding.
        const shifts = parts.every((part) => part.shift !== undefined)
          ? tf.stack(parts.map((part) => part.shift!))
          : undefined;
        const scales = shifts === undefined ? undefined : tf.unstack(tf.exp(tf.sub(shifts, tf.max(shifts))));
        const merge = (pick: (part: (typeof parts)[number]) => tf.Tensor2D) =>
          tf.addN(
            parts.map((part, b) => (scales === undefined ? pick(part) : tf.mul(pick(part), scales[b]!))),
          ) as tf.Tensor2D;
        return [merge((part) => part.s), merge((part) => part.z)] as [tf.Tensor2D, tf.Tensor2D];
      }),
    );
  }
  // Every output block in [batch, heads, rows] order: one concat builds the result (no per-head concat + stack).
  const blocks: tf.Tensor[] = [];
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const [s, z] = states[b * kvHeads + kvHeadOf(dims, h)]!;
      const g = b * heads + h;
      for (const [start, size] of sequenceBlocks(qLen, prepared.numFeatures)) {
        blocks.push(
          tf.tidy(() => {
            const qb = tf.expandDims(qRows.rows(g * qLen + start, size), 0) as tf.Tensor3D;
            const phiQ = tf.reshape(queryFeatures(prepared, qb, projection), [size, prepared.numFeatures]);
            return tf.div(tf.matMul(phiQ, s), tf.maximum(tf.matMul(phiQ, z), eps));
          }),
        );
      }
    }
  }
  return tf.reshape(blocks.length === 1 ? blocks[0]! : tf.concat(blocks, 0), [
    batch,
    heads,
    qLen,
    valueDim,
  ]) as tf.Tensor4D;
}

/**
 * Feature-maps q and k, aligns lengths (bottom-right: zero rows in front contribute nothing), repeats kv
 * heads for grouped queries, and runs the causal kernel.
 */
function causalForm(
  prepared: PreparedFeatureMap,
  projection: tf.Tensor2D | undefined,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  dims: AttentionDims,
  options: ResolvedLinearAttentionOptions,
): tf.Tensor4D {
  const { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim } = dims;
  const f = prepared.numFeatures;
  // Own scopes, so that the [N, F] intermediates of the feature maps are freed before the scan starts.
  const phiQ = tf.tidy(() =>
    tf.reshape(
      queryFeatures(prepared, tf.reshape(q, [batch * heads, qLen, headDim]) as tf.Tensor3D, projection),
      [batch, heads, qLen, f],
    ),
  );
  const phiK = tf.tidy(() =>
    tf.reshape(
      keyFeatures(prepared, tf.reshape(k, [batch * kvHeads, kvLen, headDim]) as tf.Tensor3D, projection),
      [batch, kvHeads, kvLen, f],
    ),
  );
  const group = heads / kvHeads;
  // Query i sees keys j ≤ i + kvLen − qLen: pad both to L = max(qLen, kvLen) at the front. Padded keys have
  // φ = 0 (no contribution to num or den); padded query rows are dropped.
  const len = Math.max(qLen, kvLen);
  const front = (x: tf.Tensor, rows: number) =>
    rows === 0
      ? x
      : tf.pad(x, [
          [0, 0],
          [0, 0],
          [rows, 0],
          [0, 0],
        ]);
  const out = causalLinearAttentionKernel.run(
    {
      phiQ: front(phiQ, len - qLen),
      phiK: front(repeatKvHeads(phiK, group), len - kvLen),
      v: front(repeatKvHeads(v, group), len - kvLen),
    },
    { chunkSize: options.chunkSize, eps: options.eps },
  );
  return (
    len === qLen ? out : tf.slice(out, [0, 0, len - qLen, 0], [batch, heads, qLen, valueDim])
  ) as tf.Tensor4D;
}
