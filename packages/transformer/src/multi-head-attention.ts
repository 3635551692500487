import type {
  MaskMod,
  MechanismApplyOptions,
  MechanismDefinition,
  MechanismInstance,
} from '@efficient-attention/core';
import type { PositionalEncoding } from '@efficient-attention/encodings';
import { createPatternMask } from '@efficient-attention/sparse-masks';
import * as tf from '@tensorflow/tfjs-core';
import type { MaskPatternConfig } from './model-config.js';
import { createProjection, type Projection } from './projection.js';

/** Options of {@link createMultiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  dModel: number;
  heads: number;
  mechanism: MechanismDefinition;
  mechanismConfig: Record<string, unknown>;
  /** The model's positional encoding: rotary ones rotate q and k here, bias ones enter as a score modifier. */
  positional: PositionalEncoding;
  projections: 'float' | 'bitnet';
  causal: boolean;
  /** A mask pattern passed to the mechanism's `mask` option (built per sequence length). */
  mask?: MaskPatternConfig;
  /** The sequence length mechanisms that fix it (Linformer) are built for. */
  maxSeqLen: number;
  seed: number;
}

/** Queries, keys and values of one call, `[batch, heads, seq, headDim]`, rotary encoding applied. */
export interface HeadTensors {
  q: tf.Tensor4D;
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

/**
 * Multi-head attention (Vaswani et al. 2017, §3.2.2, https://arxiv.org/abs/1706.03762) over any registered
 * mechanism, with the q/k/v/o projections float or BitNet, and positional information where its kind
 * acts: rotary encodings rotate q and k, bias encodings (ALiBi, T5) enter as the mechanism's `scoreMod`.
 */
export interface MultiHeadAttention {
  readonly heads: number;
  readonly headDim: number;
  readonly mechanism: MechanismDefinition;
  readonly instance: MechanismInstance;
  readonly projections: {
    readonly q: Projection;
    readonly k: Projection;
    readonly v: Projection;
    readonly o: Projection;
  };
  /** Projects x `[batch, seq, dModel]` to heads; rows sit at positions `offset, offset + 1, …`. */
  project(x: tf.Tensor, offset: number): HeadTensors;
  /** The mechanism's apply options for q rows at the end of kvLen keys (bottom-right aligned). */
  applyOptions(qLen: number, kvLen: number): MechanismApplyOptions;
  /** The layer's own mask pattern (`options.mask`) built for these lengths (cached), or undefined. */
  maskFor(qLen: number, kvLen: number): MaskMod | undefined;
  /** Merges heads `[batch, heads, seq, headDim]` and applies the output projection → `[batch, seq, dModel]`. */
  merge(heads: tf.Tensor): tf.Tensor;
  /** The full-sequence layer: x `[batch, seq, dModel]` → `[batch, seq, dModel]`. */
  apply(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** Block size mask patterns are built with when a config names no block size. */
const MASK_BLOCK_SIZE = 64;

/**
 * Builds a {@link MultiHeadAttention}: four projections (seeds derived from `seed`) and one mechanism
 * instance created with `{ seed, heads, headDim, seqLen: maxSeqLen }`.
 *
 * @example
 * ```ts
 * const mha = createMultiHeadAttention({ dModel: 32, heads: 4, mechanism: transformerRegistries().mechanisms.get('dense'),
 *   mechanismConfig: {}, positional: rope({ headDim: 8 }), projections: 'float', causal: true, maxSeqLen: 64, seed: 1 });
 * const y = mha.apply(x); // [batch, seq, 32]
 * ```
 */
export function createMultiHeadAttention(options: MultiHeadAttentionOptions): MultiHeadAttention {
  const { dModel, heads, positional, causal, seed } = options;
  const headDim = dModel / heads;
  // The mechanism first: it is what may reject its config, and nothing is allocated yet when it does.
  const instance = options.mechanism.create(options.mechanismConfig, {
    seed,
    heads,
    headDim,
    seqLen: options.maxSeqLen,
  });
  const built: Array<{ dispose(): void }> = [];
  const projection = (i: number) => {
    const p = createProjection(dModel, dModel, options.projections, seed * 16 + i);
    built.push(p);
    return p;
  };
  let projections: Record<'q' | 'k' | 'v' | 'o', ReturnType<typeof createProjection>>;
  try {
    projections = { q: projection(1), k: projection(2), v: projection(3), o: projection(4) };
  } catch (error) {
    for (const p of built) p.dispose();
    instance.dispose();
    throw error;
  }
  const masks = new Map<string, MaskMod>();
  const maskFor = (qLen: number, kvLen: number): MaskMod | undefined => {
    const spec = options.mask;
    if (spec === undefined) return undefined;
    const key = `${qLen}x${kvLen}`;
    let mod = masks.get(key);
    if (mod === undefined) {
      mod = createPatternMask(spec, { seed, qLen, kvLen, blockSize: MASK_BLOCK_SIZE });
      masks.set(key, mod);
    }
    return mod;
  };
  const splitHeads = (x: tf.Tensor): tf.Tensor4D => {
    const [b, n] = x.shape as [number, number, number];
    return tf.transpose(tf.reshape(x, [b, n, heads, headDim]), [0, 2, 1, 3]);
  };
  const self: MultiHeadAttention = {
    heads,
    headDim,
    mechanism: options.mechanism,
    instance,
    projections,
    maskFor,
    project(x, offset) {
      return tf.tidy(() => {
        let q = splitHeads(projections.q.apply(x));
        let k = splitHeads(projections.k.apply(x));
        const v = splitHeads(projections.v.apply(x));
        if (positional.kind === 'rotary') {
          q = positional.rotate(q, { positions: offset, role: 'query' });
          k = positional.rotate(k, { positions: offset, role: 'key' });
        }
        return { q, k, v };
      });
    },
    applyOptions(qLen, kvLen) {
      const o: MechanismApplyOptions = {};
      if (causal) o.causal = true;
      if (positional.kind === 'bias') o.scoreMod = positional.scoreMod({ queryOffset: kvLen - qLen });
      const mask = maskFor(qLen, kvLen);
      if (mask !== undefined) o.mask = mask;
      return o;
    },
    merge(h) {
      return tf.tidy(() => {
        const [b, , n] = h.shape as [number, number, number, number];
        return projections.o.apply(tf.reshape(tf.transpose(h, [0, 2, 1, 3]), [b, n, dModel]));
      });
    },
    apply(x) {
      return tf.tidy(() => {
        const { q, k, v } = self.project(x, 0);
        const n = x.shape[1]!;
        return self.merge(instance.apply(q, k, v, self.applyOptions(n, n)));
      });
    },
    dispose() {
      for (const p of Object.values(projections)) p.dispose();
      instance.dispose();
      masks.clear();
    },
  };
  return self;
}
