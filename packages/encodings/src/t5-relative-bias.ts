import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  InvalidArgumentError,
  paper,
  seededNormal,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { biasEncoding } from './bias-encoding.js';
import { defineEncoding, withContext } from './encoding-definition.js';
import { requireOptions } from './require-options.js';
import type { BiasEncoding } from './types.js';
import { variableValues } from './variable-values.js';

/** Options of {@link t5RelativePositionBucket}. */
export interface T5BucketOptions {
  /** Buckets in total (half per direction when bidirectional). Default `32`. */
  numBuckets?: number;
  /** Distances ≥ this share the last bucket. Default `128`. */
  maxDistance?: number;
  /** Separate buckets for keys after the query (encoder); otherwise later keys fall into bucket 0. Default `true`. */
  bidirectional?: boolean;
}

interface ResolvedBuckets {
  numBuckets: number;
  maxDistance: number;
  bidirectional: boolean;
}

function resolveBuckets(fn: string, options: T5BucketOptions | undefined): ResolvedBuckets {
  const { numBuckets = 32, maxDistance = 128, bidirectional = true } = options ?? {};
  if (typeof bidirectional !== 'boolean') {
    throw new InvalidArgumentError(fn, 'options.bidirectional', 'a boolean', bidirectional);
  }
  // Each direction needs max_exact = buckets/2 ≥ 1 exact bucket, and max_distance > max_exact for the log bins.
  assertNumber(fn, 'options.numBuckets', numBuckets, { integer: true, min: bidirectional ? 4 : 2 });
  const maxExact = Math.floor((bidirectional ? Math.floor(numBuckets / 2) : numBuckets) / 2);
  assertNumber(fn, 'options.maxDistance', maxDistance, { integer: true, min: maxExact + 1 });
  return { numBuckets, maxDistance, bidirectional };
}

function bucketOf(
  relativePosition: number,
  { numBuckets, maxDistance, bidirectional }: ResolvedBuckets,
): number {
  let buckets = numBuckets;
  let bucket = 0;
  let n: number;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relativePosition > 0) bucket += buckets;
    n = Math.abs(relativePosition);
  } else {
    n = Math.max(-relativePosition, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (n < maxExact) return bucket + n;
  const large =
    maxExact + Math.trunc((Math.log(n / maxExact) / Math.log(maxDistance / maxExact)) * (buckets - maxExact));
  return bucket + Math.min(large, buckets - 1);
}

/**
 * The T5 relative-position bucket of `relativePosition = key position − query position`, exactly as
 * Mesh TensorFlow's / Hugging Face's `_relative_position_bucket`: half of each direction's buckets hold
 * exact distances 0 … max_exact − 1, the other half logarithmic bins up to `maxDistance` (farther distances
 * share the last bucket). Raffel et al. 2020, §2.1: https://arxiv.org/abs/1910.10683
 *
 * @example
 * ```ts
 * t5RelativePositionBucket(-3); // 3 (a key 3 before the query)
 * t5RelativePositionBucket(3); // 19 (16 + 3: keys after the query use the upper half)
 * t5RelativePositionBucket(-1000, { bidirectional: false }); // 31
 * ```
 */
export function t5RelativePositionBucket(relativePosition: number, options?: T5BucketOptions): number {
  const fn = 't5RelativePositionBucket';
  assertKnownOptions(fn, options, ['numBuckets', 'maxDistance', 'bidirectional']);
  assertNumber(fn, 'relativePosition', relativePosition, { integer: true });
  return bucketOf(relativePosition, resolveBuckets(fn, options));
}

/** Options of {@link t5RelativeBias}. */
export interface T5RelativeBiasOptions extends T5BucketOptions {
  /** Attention heads: the table is `[numBuckets, heads]`. */
  heads: number;
  /** Seed of the initial values. Default `0`. */
  seed?: number;
  /** Standard deviation of the normal initial values. Default `0.02`. */
  initStd?: number;
}

const FN = 't5RelativeBias';

/**
 * T5's learned relative position bias (Raffel et al. 2020: https://arxiv.org/abs/1910.10683): a trainable
 * table `[numBuckets, heads]`; the score of query position i and key position j in head h gains
 * `table[bucket(j − i), h]` (see {@link t5RelativePositionBucket}). Gradients reach the table through
 * `bias()` and the tensor form of `scoreMod()`; on backends without a gather gradient (wasm) a custom
 * gradient sums the incoming gradient per bucket with `sparseSegmentSum`.
 *
 * @example
 * ```ts
 * const enc = t5RelativeBias({ heads: 8, bidirectional: false });
 * const out = scaledDotProductAttention(q, k, v, { causal: true, scoreMod: enc.scoreMod() });
 * enc.variables.table; // [32, 8], trained by any tfjs optimizer
 * enc.dispose();
 * ```
 */
export function t5RelativeBias(options: T5RelativeBiasOptions): BiasEncoding {
  requireOptions(
    FN,
    options,
    ['heads', 'numBuckets', 'maxDistance', 'bidirectional', 'seed', 'initStd'],
    '`heads`',
  );
  const { heads, seed = 0, initStd = 0.02 } = options;
  assertNumber(FN, 'options.heads', heads, { integer: true, min: 1 });
  assertNumber(FN, 'options.seed', seed, { integer: true });
  assertNumber(FN, 'options.initStd', initStd, { min: 0 });
  const buckets = resolveBuckets(FN, options);
  const { numBuckets } = buckets;
  const table = tf.keep(tf.tidy(() => tf.variable(seededNormal([numBuckets, heads], seed, initStd), true)));

  return biasEncoding({
    fn: FN,
    name: 't5',
    heads,
    variables: { table },
    block: ({ qStart, rows, kvStart, cols, headStart, headCount }) => {
      // Buckets depend on j − i only: one lookup per distinct distance, then a fill.
      const lowest = kvStart - (qStart + rows - 1);
      const byDistance = Int32Array.from({ length: rows + cols - 1 }, (_, t) =>
        bucketOf(lowest + t, buckets),
      );
      const indices = new Int32Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) indices[i * cols + j] = byDistance[j - i + rows - 1]!;
      }
      const perHead = tf.transpose(tf.slice(table, [0, headStart], [numBuckets, headCount])); // [headCount, buckets]
      return tf.reshape(gatherBuckets(perHead, indices, numBuckets), [headCount, rows, cols]) as tf.Tensor3D;
    },
    scalar: (h, q, kv) => variableValues(table)[bucketOf(kv - q, buckets) * heads + h]!,
    dispose: () => table.dispose(),
  });
}

/**
 * `values[:, indices]` for `values` `[heads, numBuckets]`, with a gradient that works on every backend:
 * tfjs's gather gradient needs `UnsortedSegmentSum`, which tfjs-wasm lacks, so the gradient sums the
 * incoming columns per bucket with `sparseSegmentSum` (indices sorted once, by counting sort).
 */
function gatherBuckets(values: tf.Tensor, indices: Int32Array, numBuckets: number): tf.Tensor {
  const gather = tf.customGrad((...args) => {
    const [v] = args as [tf.Tensor];
    return {
      value: tf.gather(v, tf.tensor1d(indices, 'int32'), 1),
      gradFunc: (dy: tf.Tensor) => {
        const counts = new Int32Array(numBuckets + 1);
        for (const b of indices) counts[b + 1]!++;
        for (let b = 0; b < numBuckets; b++) counts[b + 1]! += counts[b]!;
        const order = new Int32Array(indices.length);
        const sorted = new Int32Array(indices.length);
        indices.forEach((b, k) => {
          const at = counts[b]!++;
          order[at] = k;
          sorted[at] = b;
        });
        const sums = tf.sparse.sparseSegmentSum(
          tf.transpose(dy),
          tf.tensor1d(order, 'int32'),
          tf.tensor1d(sorted, 'int32'),
        ); // [last bucket + 1, heads]
        const padded = tf.pad(sums, [
          [0, numBuckets - sums.shape[0]],
          [0, 0],
        ]);
        return [tf.transpose(padded)];
      },
    };
  });
  return gather(values);
}

/**
 * Registry entry for {@link t5RelativeBias}: capabilities, `describe()` text and a factory; `heads` and `seed` come from the context.
 * Paper: https://arxiv.org/abs/1910.10683
 *
 * @example
 * ```ts
 * const enc = t5RelativeBiasDefinition.create({ bidirectional: false }, { modelDim: 256, heads: 4, headDim: 64, maxLength: 512, seed: 0 });
 * ```
 */
export const t5RelativeBiasDefinition = defineEncoding<Omit<T5RelativeBiasOptions, 'heads' | 'seed'>>({
  name: 't5',
  title: 'T5 relative bias',
  paper: paper(
    'Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer',
    'Raffel et al.',
    2020,
    'https://arxiv.org/abs/1910.10683',
    'JMLR',
  ),
  capabilities: {
    kind: 'bias',
    trainable: 'always',
    extrapolates: true,
    extraMemory: 'O(buckets·heads) parameters',
  },
  options: defineOptions({
    numBuckets: {
      type: 'number',
      integer: true,
      min: 2,
      default: 32,
      description: 'Buckets in total, half per direction when bidirectional (≥ 4 then).',
    },
    maxDistance: {
      type: 'number',
      integer: true,
      min: 2,
      default: 128,
      description: 'Distances ≥ this share the last bucket (more than the exact buckets per direction).',
    },
    bidirectional: {
      type: 'boolean',
      default: true,
      description: 'Separate buckets for keys after the query (encoder); otherwise they fall into bucket 0.',
    },
    initStd: {
      type: 'number',
      min: 0,
      default: 0.02,
      description: 'Standard deviation of the normal initial values of the table.',
    },
  }),
  contextOptions: ['heads', 'seed'],
  description: {
    formula: 's_{h,i,j} = \\mathbf{q}_i\\cdot\\mathbf{k}_j + b_{h,\\,\\mathrm{bucket}(j-i)}',
    strengths: [
      'Learned and relative; log-spaced buckets cover long distances with few parameters.',
      'Distances past maxDistance share a bucket, so longer inputs stay in-distribution (extrapolates moderately).',
    ],
    weaknesses: [
      'Materialises a per-head bias for every score block: O(N²) extra work, no fused kernel path.',
      'Cannot tell apart distances inside the last bucket.',
    ],
  },
  create: (options, context) =>
    t5RelativeBias(withContext('t5', options, { heads: context.heads, seed: context.seed })),
});
