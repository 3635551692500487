import {
  type MaskMod,
  type MechanismApplyOptions,
  scaledDotProductAttention,
} from '@efficient-attention/core';
import {
  createLinearAttentionState,
  eluPlusOne,
  type FeatureMap,
  favorPlus,
  type LinearAttentionState,
  linearAttentionStep,
  performerMechanism,
  relu,
} from '@efficient-attention/linear-attention';
import { maskPatterns } from '@efficient-attention/sparse-masks';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig } from './model-config.js';
import type { MultiHeadAttention } from './multi-head-attention.js';

/**
 * How a layer keeps what past tokens contribute: all keys and values (`kv-cache`), the last W of them for a
 * causal sliding window of W tokens (`rolling-cache`), the running state of causal linear attention
 * (`recurrent`, O(1) per token: Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236, §3.4), or
 * nothing, recomputing the whole prefix each step (`recompute`, for mechanisms that cannot attend from one
 * query to a cache, such as Reformer LSH).
 */
export type DecodingStrategy = 'kv-cache' | 'rolling-cache' | 'recurrent' | 'recompute';

/** The attention of one layer for one new token at position `position` (q, k, v `[batch, heads, 1, headDim]`). */
export interface LayerCache {
  /** Tokens whose keys the cache holds (≤ position + 1 for rolling caches). */
  readonly size: number;
  step(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, position: number): tf.Tensor4D;
  dispose(): void;
}

const LINEAR_FEATURE_MAPS: Record<string, (config: Record<string, unknown>, seed: number) => FeatureMap> = {
  'linear-elu': () => eluPlusOne(),
  'linear-relu': () => relu(),
  performer: (config, seed) => {
    const c = { ...performerMechanism.defaultConfig, ...config };
    return favorPlus({
      numFeatures: c.numFeatures,
      orthogonal: c.orthogonal,
      redraw: c.redraw,
      stabilize: c.stabilize,
      seed,
    });
  },
};

/** Block size the block-sparse mechanism uses when its config names none (sparse-masks' default). */
const BLOCK_SPARSE_DEFAULT_BLOCK = 64;
/** Block size `createMultiHeadAttention` builds `attention.mask` patterns with. */
const MASK_BLOCK_SIZE = 64;

/**
 * The strategy a model decodes with: recurrent for causal linear attention (`linear-elu`, `linear-relu`,
 * `performer`), a rolling cache for block-sparse `sliding-window`, a KV cache for every mechanism that
 * attends from fewer queries than keys (capabilities.supportsCrossAttention, or the span mechanisms, which
 * align queries to the end of the keys), recompute otherwise.
 *
 * @example
 * ```ts
 * decodingStrategy(model.config, mechanism.capabilities); // 'rolling-cache'
 * ```
 */
export function decodingStrategy(
  config: ResolvedModelConfig,
  capabilities: { supportsCrossAttention: boolean },
): DecodingStrategy {
  const name = config.attention.mechanism;
  if (name in LINEAR_FEATURE_MAPS) return 'recurrent';
  if (
    name === 'block-sparse' &&
    config.attention.config.pattern === 'sliding-window' &&
    !config.attention.mask
  ) {
    return 'rolling-cache';
  }
  if (capabilities.supportsCrossAttention || name === 'adaptive-span' || name === 'dynamic-span')
    return 'kv-cache';
  return 'recompute';
}

/** The row of a pattern a query at `position` sees over keys 0 … position, as a bool `[B|1, H|1, 1, position + 1]`. */
function maskRow(mod: MaskMod, batch: number, heads: number, position: number): tf.Tensor4D {
  const b = mod.batchInvariant ? 1 : batch;
  const h = mod.headInvariant ? 1 : heads;
  const n = position + 1;
  const data = new Uint8Array(b * h * n);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      for (let kv = 0; kv < n; kv++) data[(bi * h + hi) * n + kv] = mod(bi, hi, position, kv) ? 1 : 0;
    }
  }
  return tf.tensor4d(data, [b, h, 1, n], 'bool');
}

/** Appends one position to a kept `[b, h, t, d]` cache (disposing the old one); keeps the last `limit` rows. */
function append(cache: tf.Tensor4D | undefined, x: tf.Tensor4D, limit: number): tf.Tensor4D {
  const next = tf.tidy(() => {
    const all = cache === undefined ? x.clone() : tf.concat([cache, x], 2);
    const n = all.shape[2]!;
    return n > limit ? tf.slice(all, [0, 0, n - limit, 0], [-1, -1, limit, -1]) : all;
  });
  cache?.dispose();
  return tf.keep(next) as tf.Tensor4D;
}

/**
 * A {@link LayerCache} for one layer of a model (see {@link decodingStrategy}). Options passed to the
 * mechanism are the layer's own (causal, the bias encoding's score modifier with `queryOffset` = keys − 1);
 * mask patterns (block-sparse's, or `attention.mask`) are evaluated on the row of the full square pattern
 * of the prefix, because patterns built for one query align it to key 0.
 *
 * @example
 * ```ts
 * const cache = createLayerCache('kv-cache', config, layer.attention, layerSeed);
 * const out = cache.step(q, k, v, position); // [batch, heads, 1, headDim]
 * ```
 */
export function createLayerCache(
  strategy: Exclude<DecodingStrategy, 'recompute'>,
  config: ResolvedModelConfig,
  attention: MultiHeadAttention,
  seed: number,
): LayerCache {
  const name = config.attention.mechanism;
  if (strategy === 'recurrent') {
    const featureMap = LINEAR_FEATURE_MAPS[name]!(config.attention.config, seed);
    let state: LinearAttentionState | undefined;
    return {
      get size() {
        return state?.length ?? 0;
      },
      step(q, k, v) {
        // States outlive the caller's tf.tidy: keep their tensors.
        const live = (s: LinearAttentionState) => {
          tf.keep(s.kv);
          tf.keep(s.keyShift);
          return s;
        };
        state ??= live(
          createLinearAttentionState({
            batch: q.shape[0],
            heads: attention.heads,
            headDim: attention.headDim,
            featureMap,
          }),
        );
        const { output, state: next } = linearAttentionStep(state, q, k, v);
        state.dispose();
        state = live(next);
        return output;
      },
      dispose() {
        state?.dispose();
      },
    };
  }
  const { pattern: patternName, blockSize, ...params } = config.attention.config;
  const window =
    strategy === 'rolling-cache' ? 1 + Number(params.before ?? params.radius ?? 0) : Number.POSITIVE_INFINITY;
  const pattern =
    name === 'block-sparse'
      ? (position: number) =>
          maskPatterns.create(
            { pattern: String(patternName ?? 'sliding-window'), ...params },
            {
              seed,
              qLen: position + 1,
              kvLen: position + 1,
              blockSize: Number(blockSize ?? BLOCK_SPARSE_DEFAULT_BLOCK),
            },
          )
      : config.attention.mask === undefined
        ? undefined
        : (position: number) =>
            maskPatterns.create(config.attention.mask!, {
              seed,
              qLen: position + 1,
              kvLen: position + 1,
              blockSize: MASK_BLOCK_SIZE,
            });
  let keys: tf.Tensor4D | undefined;
  let values: tf.Tensor4D | undefined;
  return {
    get size() {
      return keys?.shape[2] ?? 0;
    },
    step(q, k, v, position) {
      keys = append(keys, k, window);
      values = append(values, v, window);
      const kc = keys;
      const vc = values;
      return tf.tidy(() => {
        const kvLen = kc.shape[2];
        const { mask: _unaligned, ...options }: MechanismApplyOptions = attention.applyOptions(1, kvLen);
        if (strategy === 'rolling-cache') {
          // Every cached key is inside the causal window: dense attention over the cache is the window.
          return scaledDotProductAttention(q, kc, vc, { ...options, causal: false });
        }
        if (pattern === undefined) return attention.instance.apply(q, kc, vc, options);
        const mask = maskRow(pattern(position), q.shape[0], attention.heads, position);
        // Block-sparse is exact under its mask: one query row gains nothing from block skipping.
        return name === 'block-sparse'
          ? scaledDotProductAttention(q, kc, vc, { ...options, mask })
          : attention.instance.apply(q, kc, vc, { ...options, mask });
      });
    },
    dispose() {
      keys?.dispose();
      values?.dispose();
    },
  };
}
