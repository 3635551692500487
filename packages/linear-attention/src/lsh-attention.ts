import {
  assertKnownOptions,
  assertNumber,
  InvalidArgumentError,
  validateAttentionInputs,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { lshBuckets, lshRotations, sortByBucket } from './lsh-buckets.js';
import { permuteRows } from './permute-rows.js';
import { repeatKvHeads } from './repeat-kv-heads.js';

/** Options of {@link lshAttention}. */
export interface LshAttentionOptions {
  /** Hashing rounds; their outputs are combined by logsumexp weights. Default 4. */
  numHashes?: number;
  /** Positions per chunk of the sorted sequence; each chunk attends to itself and the previous one. Default 32. */
  chunkSize?: number;
  /**
   * Buckets per round: 1 or an even number. Default `'auto'`: twice the number of chunks, so an average bucket
   * holds half a chunk (the paper's m = 2l/n_buckets); 1 when the sequence fits in one chunk.
   */
  numBuckets?: number | 'auto';
  /**
   * Reformer's shared-QK attention: keys are the normalised queries `q/‖q‖` (pass the query tensor as `k`),
   * and a token attends to itself only when nothing else is allowed. Default `false`: keys are `k`, hashed
   * with the same rotations.
   */
  sharedQK?: boolean;
  /** Causal masking (self-attention: query i sees keys j ≤ i). Default `false`. */
  causal?: boolean;
  /** Multiplier of q·k. Default `1/√headDim`. */
  scale?: number;
  /** Seed of the random rotations. Default 0. */
  seed?: number;
}

const FN = 'lshAttention';
/** A masked score: far below any real one, finite so that fully masked rows stay NaN-free. */
const MASKED = -1e9;
/** Reformer's penalty for a token attending to itself under shared-QK (wins only when nothing else is allowed). */
const SELF = -1e5;
/** Log-weight of a round in which a query met no allowed key. */
const EMPTY_ROUND = -1e30;

/** The sorted order of one round for every group (batch × head), padded to whole chunks. */
interface RoundOrder {
  /** `sorted[g][s]`: position at sorted slot s (positions ≥ n are padding). */
  sorted: Int32Array[];
  /** `chunk[g][pos]`: the chunk a position lands in. */
  chunk: Int32Array[];
}

function order(
  buckets: Int32Array,
  g: number,
  n: number,
  padded: number,
  numBuckets: number,
  chunk: number,
): RoundOrder {
  const sorted: Int32Array[] = [];
  const chunkOf: Int32Array[] = [];
  for (let group = 0; group < g; group++) {
    const s = new Int32Array(padded);
    s.set(sortByBucket(buckets.subarray(group * n, (group + 1) * n), numBuckets));
    for (let p = n; p < padded; p++) s[p] = p; // padding goes last
    const c = new Int32Array(padded);
    s.forEach((pos, slot) => {
      c[pos] = Math.floor(slot / chunk);
    });
    sorted.push(s);
    chunkOf.push(c);
  }
  return { sorted, chunk: chunkOf };
}

/**
 * Reformer's LSH attention (Kitaev et al. 2020, "Reformer: The Efficient Transformer",
 * https://arxiv.org/abs/2001.04451, section 2): per round, hash queries and keys with a random rotation
 * (angular LSH, {@link lshBuckets}), sort each by (bucket, position), cut the sorted sequences into chunks,
 * and let every query chunk attend to the key chunk at the same place and the one before it (wrapping
 * around). A pair met in several rounds is counted once (the paper's duplicate correction, score − log
 * count), and rounds combine by their logsumexp weights, so the result is softmax attention over the union of
 * the keys each query met. Causal masks by original positions; a query that meets no allowed key outputs
 * zeros.
 *
 * It equals full attention when every query meets every key (one bucket with a chunk that covers the
 * sequence, tested). Time and memory O(numHashes · N · chunk). Self-attention only (qLen = kvLen); kv heads
 * may divide q heads. Hashing has no gradient; the attention does (via gathers with closed-form gradients).
 *
 * @example
 * ```ts
 * const out = lshAttention(q, k, v, { numHashes: 4, chunkSize: 64, causal: true });
 * const reformer = lshAttention(qk, qk, v, { sharedQK: true }); // keys = qk / ‖qk‖
 * ```
 */
export function lshAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: LshAttentionOptions = {},
): tf.Tensor4D {
  const dims = validateAttentionInputs(FN, q, k, v);
  assertKnownOptions(FN, options, [
    'numHashes',
    'chunkSize',
    'numBuckets',
    'sharedQK',
    'causal',
    'scale',
    'seed',
  ]);
  const numHashes = options.numHashes ?? 4;
  assertNumber(FN, 'options.numHashes', numHashes, { integer: true, min: 1 });
  const chunkSize = options.chunkSize ?? 32;
  assertNumber(FN, 'options.chunkSize', chunkSize, { integer: true, min: 1 });
  const seed = options.seed ?? 0;
  assertNumber(FN, 'options.seed', seed, { integer: true });
  const scale = options.scale ?? 1 / Math.sqrt(dims.headDim);
  assertNumber(FN, 'options.scale', scale);
  for (const name of ['sharedQK', 'causal'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'boolean')
      throw new InvalidArgumentError(FN, `options.${name}`, 'a boolean', value);
  }
  const sharedQK = options.sharedQK === true;
  const causal = options.causal === true;
  if (dims.qLen !== dims.kvLen) {
    throw new InvalidArgumentError(
      FN,
      'k.shape[2] (kvLen)',
      `${dims.qLen} (q's length: LSH attention is self-attention)`,
      dims.kvLen,
    );
  }
  if (sharedQK && k !== q) {
    throw new InvalidArgumentError(
      FN,
      'k',
      'the query tensor itself when sharedQK is true (keys are q/‖q‖)',
      k,
    );
  }
  const n = dims.qLen;
  const chunk = Math.min(chunkSize, n);
  const numChunks = Math.ceil(n / chunk);
  const numBuckets = options.numBuckets ?? 'auto';
  const buckets = numBuckets === 'auto' ? (numChunks === 1 ? 1 : 2 * numChunks) : numBuckets;
  const rotations = lshRotations(dims.headDim, buckets, numHashes, seed);
  const { batch, heads, headDim, valueDim } = dims;
  const g = batch * heads;
  const padded = numChunks * chunk;
  const lookBack = numChunks > 1;
  const keySlots = lookBack ? 2 * chunk : chunk;

  return tf.tidy(() => {
    const group = heads / dims.kvHeads;
    const keys = sharedQK
      ? tf.div(q, tf.maximum(tf.norm(q, 'euclidean', -1, true), 1e-12))
      : repeatKvHeads(k, group);
    const values = repeatKvHeads(v, group);
    const rows = (x: tf.Tensor, width: number) =>
      tf.reshape(
        padded === n
          ? x
          : tf.pad(x, [
              [0, 0],
              [0, 0],
              [0, padded - n],
              [0, 0],
            ]),
        [g * padded, width],
      ) as tf.Tensor2D;
    const qRows = rows(tf.mul(q, scale), headDim);
    const kRows = rows(keys, headDim);
    const vRows = rows(values, valueDim);
    const real = (x: tf.Tensor) => tf.reshape(x, [g * n, headDim]) as tf.Tensor2D;
    const qReal = real(q);
    const kReal = sharedQK ? qReal : real(keys);
    // Sorted orders of every round first: the duplicate count of a pair needs all rounds.
    const rounds = rotations.map((rotation) => {
      const qb = lshBuckets(qReal, rotation, buckets);
      const qOrder = order(qb, g, n, padded, buckets, chunk);
      return {
        q: qOrder,
        k: sharedQK ? qOrder : order(lshBuckets(kReal, rotation, buckets), g, n, padded, buckets, chunk),
      };
    });
    const meets = (r: number, gi: number, qPos: number, kPos: number) => {
      const cq = rounds[r]!.q.chunk[gi]![qPos]!;
      const ck = rounds[r]!.k.chunk[gi]![kPos]!;
      return ck === cq || (lookBack && ck === (cq + numChunks - 1) % numChunks);
    };
    const outs: tf.Tensor[] = [];
    const logWeights: tf.Tensor[] = [];
    for (const round of rounds) {
      const perm = (sorted: Int32Array[]) => {
        const out = new Int32Array(g * padded);
        sorted.forEach((s, gi) => {
          for (let slot = 0; slot < padded; slot++) out[gi * padded + slot] = gi * padded + s[slot]!;
        });
        return out;
      };
      const qPerm = perm(round.q.sorted);
      const kPerm = perm(round.k.sorted);
      const bias = new Float32Array(g * padded * keySlots);
      const valid = new Float32Array(g * padded);
      for (let gi = 0; gi < g; gi++) {
        const qs = round.q.sorted[gi]!;
        const ks = round.k.sorted[gi]!;
        for (let slot = 0; slot < padded; slot++) {
          const c = Math.floor(slot / chunk);
          const qPos = qs[slot]!;
          let any = false;
          for (let j = 0; j < keySlots; j++) {
            const kc = j < chunk ? c : (c + numChunks - 1) % numChunks;
            const kPos = ks[kc * chunk + (j % chunk)]!;
            let b: number;
            if (qPos >= n || kPos >= n || (causal && kPos > qPos)) {
              b = MASKED;
            } else {
              let count = 0;
              for (let r2 = 0; r2 < rounds.length; r2++) if (meets(r2, gi, qPos, kPos)) count++;
              b = -Math.log(count) + (sharedQK && kPos === qPos ? SELF : 0);
              any = true;
            }
            bias[(gi * padded + slot) * keySlots + j] = b;
          }
          valid[gi * padded + slot] = any ? 1 : 0;
        }
      }
      const blocks = g * numChunks;
      const sortedQ = tf.reshape(permuteRows(qRows, qPerm), [blocks, chunk, headDim]);
      const sortedK = permuteRows(kRows, kPerm);
      const sortedV = permuteRows(vRows, kPerm);
      const withPrevious = (x: tf.Tensor2D, width: number) => {
        const own = tf.reshape(x, [blocks, chunk, width]);
        if (!lookBack) return own;
        const roll = new Int32Array(g * padded);
        for (let i = 0; i < g * padded; i++) {
          const gi = Math.floor(i / padded);
          const slot = i % padded;
          const c = Math.floor(slot / chunk);
          roll[i] = gi * padded + ((c + numChunks - 1) % numChunks) * chunk + (slot % chunk);
        }
        return tf.concat([own, tf.reshape(permuteRows(x, roll), [blocks, chunk, width])], 1);
      };
      const scores = tf.add(
        tf.matMul(sortedQ, withPrevious(sortedK, headDim), false, true),
        tf.tensor3d(bias, [blocks, chunk, keySlots]),
      );
      const lse = tf.logSumExp(scores, -1, true);
      const out = tf.matMul(tf.exp(tf.sub(scores, lse)), withPrevious(sortedV, valueDim));
      const validT = tf.tensor3d(valid, [blocks, chunk, 1]);
      const unsort = (x: tf.Tensor, width: number) => {
        const inverse = new Int32Array(g * padded);
        qPerm.forEach((row, i) => {
          inverse[row] = i;
        });
        const back = tf.reshape(permuteRows(tf.reshape(x, [g * padded, width]) as tf.Tensor2D, inverse), [
          g,
          padded,
          width,
        ]);
        return padded === n ? back : tf.slice(back, [0, 0, 0], [g, n, width]);
      };
      outs.push(unsort(tf.mul(out, validT), valueDim));
      logWeights.push(unsort(tf.add(tf.mul(lse, validT), tf.mul(tf.sub(1, validT), EMPTY_ROUND)), 1));
    }
    if (outs.length === 1) return tf.reshape(outs[0]!, [batch, heads, n, valueDim]) as tf.Tensor4D;
    // Rounds combine by their logsumexp weights: softmax over the rounds of each query's lse.
    const weights = tf.softmax(tf.concat(logWeights, 2), -1); // [g, n, rounds]
    const stacked = tf.stack(outs, 2); // [g, n, rounds, valueDim]
    const combined = tf.sum(tf.mul(stacked, tf.expandDims(weights, 3)), 2);
    return tf.reshape(combined, [batch, heads, n, valueDim]) as tf.Tensor4D;
  });
}
