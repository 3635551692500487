import {
  type DecodingPlan,
  type MaskMod,
  type MechanismApplyOptions,
  type RecurrentDecoder,
  scaledDotProductAttention,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig } from './model-config.js';
import type { MultiHeadAttention } from './multi-head-attention.js';

/**
 * How a layer keeps what past tokens contribute: all keys and values (`kv-cache`), the last W of them for a
 * causal sliding window of W tokens (`rolling-cache`), the running state of causal linear attention
 * (`recurrent`, O(1) per token: Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236, §3.4), or
 * nothing, recomputing the whole prefix each step (`recompute`, for mechanisms that cannot attend from one
 * query to a cache, such as Reformer LSH). The mechanism instance decides, through its `decoding` hook.
 */
export type DecodingStrategy = 'kv-cache' | 'rolling-cache' | 'recurrent' | 'recompute';

/** The attention of one layer for one new token at position `position` (q, k, v `[batch, heads, 1, headDim]`). */
export interface LayerCache {
  /** Tokens whose keys the cache holds (≤ position + 1 for rolling caches). */
  readonly size: number;
  step(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, position: number): tf.Tensor4D;
  dispose(): void;
}

/**
 * The plan one layer decodes with: what its mechanism instance's `decoding` hook returns, or, for an instance
 * without one, a KV cache when the mechanism attends from fewer queries than keys
 * (`capabilities.supportsCrossAttention`) and recomputing the prefix otherwise.
 *
 * @example
 * ```ts
 * decodingPlan(model.config, layer.attention); // { kind: 'kv-cache', window: 9, attend: 'exact' }
 * ```
 */
export function decodingPlan(config: ResolvedModelConfig, attention: MultiHeadAttention): DecodingPlan {
  const context = { causal: config.causal, masked: config.attention.mask !== undefined };
  const plan = attention.instance.decoding?.(context);
  if (plan !== undefined) return plan;
  return attention.mechanism.capabilities.supportsCrossAttention
    ? { kind: 'kv-cache' }
    : { kind: 'recompute' };
}

/**
 * The name of a plan's strategy (a KV cache with a `window` is a rolling cache).
 *
 * @example
 * ```ts
 * decodingStrategy(decodingPlan(model.config, layer.attention)); // 'rolling-cache'
 * ```
 */
export function decodingStrategy(plan: DecodingPlan): DecodingStrategy {
  if (plan.kind === 'kv-cache') return plan.window === undefined ? 'kv-cache' : 'rolling-cache';
  return plan.kind;
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

/** A layer cache over a recurrent decoder (the instance keeps its own state alive). */
function recurrentCache(
  plan: Extract<DecodingPlan, { kind: 'recurrent' }>,
  attention: MultiHeadAttention,
): LayerCache {
  let decoder: RecurrentDecoder | undefined;
  return {
    get size() {
      return decoder?.length ?? 0;
    },
    step(q, k, v) {
      decoder ??= plan.createDecoder({
        batch: q.shape[0],
        heads: attention.heads,
        headDim: attention.headDim,
      });
      return decoder.step(q, k, v);
    },
    dispose() {
      decoder?.dispose();
    },
  };
}

/**
 * A {@link LayerCache} for one layer of a model following its {@link decodingPlan}. Options passed to the
 * mechanism are the layer's own (causal, the bias encoding's score modifier with `queryOffset` = keys − 1);
 * mask patterns (the plan's `maskAt`, or the model's `attention.mask`) are evaluated on the row of the full
 * square pattern of the prefix, because patterns built for one query align it to key 0.
 *
 * @example
 * ```ts
 * const cache = createLayerCache(decodingPlan(model.config, layer.attention), model.config, layer.attention);
 * const out = cache.step(q, k, v, position); // [batch, heads, 1, headDim]
 * ```
 */
export function createLayerCache(
  plan: Exclude<DecodingPlan, { kind: 'recompute' }>,
  config: ResolvedModelConfig,
  attention: MultiHeadAttention,
): LayerCache {
  if (plan.kind === 'recurrent') return recurrentCache(plan, attention);
  const window = plan.window ?? Number.POSITIVE_INFINITY;
  const modelMask = config.attention.mask;
  const pattern =
    plan.maskAt ??
    (modelMask === undefined
      ? undefined
      : (position: number) => attention.maskFor(position + 1, position + 1)!);
  const attend = plan.attend ?? 'instance';
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
        if (plan.window !== undefined) {
          // Every cached key is inside the causal window: dense attention over the cache is the window.
          return scaledDotProductAttention(q, kc, vc, { ...options, causal: false });
        }
        const mask =
          pattern === undefined
            ? undefined
            : maskRow(pattern(position), q.shape[0], attention.heads, position);
        const withMask = mask === undefined ? options : { ...options, mask };
        // An exact mechanism under its mask gains nothing from its own execution for one query row.
        return attend === 'exact'
          ? scaledDotProductAttention(q, kc, vc, withMask)
          : attention.instance.apply(q, kc, vc, withMask);
      });
    },
    dispose() {
      keys?.dispose();
      values?.dispose();
    },
  };
}
