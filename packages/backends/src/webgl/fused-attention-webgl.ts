import { type FusedAttentionAttrs, fusedAttentionKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { attentionDims, referenceFallback } from '../webgpu/kernel-fallback.js';
import { MaskedExpProgram, type OnlineSoftmaxTile, RowMaxProgram } from './online-softmax-programs.js';
import type { WebGLBackendLike } from './webgl-program.js';

/**
 * Keys per tile (and query rows per tile when causal), and the score-tile budget in floats. Every step
 * costs a handful of passes, so tiles are as large as the budget allows: up to N = 2048 a non-causal call
 * makes one step per query tile.
 */
const TILE_KEYS = 2048;
const TILE_SCORES = 1 << 22;
/** Initial running maximum: exp(x − INITIAL_MAX) never overflows and exp(INITIAL_MAX − x) is 0. */
const INITIAL_MAX = -3e38;

/** Query rows per tile for `planes` (batch · heads) score planes of `tileKeys` keys. */
export function tileQueries(planes: number, qLen: number, tileKeys: number): number {
  return Math.min(qLen, Math.max(16, Math.floor(TILE_SCORES / (planes * tileKeys))));
}

/**
 * Multi-pass flash attention for tfjs's `webgl` backend. Queries and keys are cut into tiles; per tile,
 * a `[B·H, Tq, Tk]` score tile from tfjs's packed `matMul`, then two packed GLSL passes —
 * {@link RowMaxProgram} (running row max over the keys each row may see) and {@link MaskedExpProgram} —
 * then p·[v | 1] by `matMul`, whose last column is the row sums, and the online-softmax update of the
 * running output (Dao et al. 2022, https://arxiv.org/abs/2205.14135; Milakov & Gimelshein 2018,
 * https://arxiv.org/abs/1805.02867). Everything stays in tfjs-webgl's packed layout: no pack or unpack pass,
 * no separate row-sum pass. With `causal` (bottom-right aligned), tiles above the diagonal are skipped.
 * Memory: O(N·d) plus one score tile (≤ 4 M floats), never O(N²).
 */
function fusedAttentionTiles(
  backend: WebGLBackendLike,
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  dims: NonNullable<ReturnType<typeof attentionDims>>,
  attrs: FusedAttentionAttrs,
): tf.Tensor {
  const { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim } = dims;
  const group = heads / kvHeads;
  const planes = batch * heads;
  const tk = Math.min(kvLen, TILE_KEYS);
  // Causal: square tiles, so that the tiles above the diagonal can be skipped.
  const tq = attrs.causal ? Math.min(tk, tileQueries(planes, qLen, tk)) : tileQueries(planes, qLen, tk);
  const wrap = (info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info);
  // [v | 1]: p·[v | 1] gives p·v and, in its last column, the row sums of p.
  const vOnes = tf.tidy(() => tf.concat([v, tf.ones([batch, kvHeads, kvLen, 1])], 3));
  const outs: tf.Tensor[] = [];
  for (let q0 = 0; q0 < qLen; q0 += tq) {
    const rows = Math.min(tq, qLen - q0);
    outs.push(
      tf.tidy(() => {
        // [B, Hkv, group·rows, d]: each kv head's query group folded into the row axis (no k/v repeat).
        const qTile = tf.reshape(
          tf.mul(tf.slice(q, [0, 0, q0, 0], [batch, heads, rows, headDim]), attrs.scale),
          [batch, kvHeads, group * rows, headDim],
        );
        let m: tf.Tensor = tf.fill([planes, rows, 1], INITIAL_MAX);
        // Unnormalised output and, in column valueDim, the running sum.
        let acc: tf.Tensor = tf.zeros([planes, rows, valueDim + 1]);
        // Causal: the last key the tile's last query sees.
        const keyEnd = attrs.causal ? Math.min(kvLen, Math.max(0, q0 + rows + kvLen - qLen)) : kvLen;
        for (let k0 = 0; k0 < keyEnd; k0 += tk) {
          const keys = Math.min(tk, kvLen - k0);
          const tile: OnlineSoftmaxTile = {
            planes,
            tileQueries: rows,
            tileKeys: keys,
            causal: attrs.causal,
            qLen,
            kvLen,
          };
          const step = tf.tidy(() => {
            const kTile = keys === kvLen ? k : tf.slice(k, [0, 0, k0, 0], [batch, kvHeads, keys, headDim]);
            const vTile =
              keys === kvLen ? vOnes : tf.slice(vOnes, [0, 0, k0, 0], [batch, kvHeads, keys, valueDim + 1]);
            const s = tf.reshape(tf.matMul(qTile, kTile, false, true), [planes, rows, keys]);
            const offsets = [[q0], [k0]];
            const mNew = wrap(backend.runWebGLProgram(new RowMaxProgram(tile), [s, m], 'float32', offsets));
            const p = wrap(
              backend.runWebGLProgram(new MaskedExpProgram(tile), [s, mNew], 'float32', offsets),
            );
            const pv = tf.reshape(tf.matMul(tf.reshape(p, [batch, kvHeads, group * rows, keys]), vTile), [
              planes,
              rows,
              valueDim + 1,
            ]);
            // The first step has nothing to rescale (and exp(m − mNew) would be 0 anyway).
            if (k0 === 0) return { m: mNew, acc: pv };
            return { m: mNew, acc: tf.add(tf.mul(acc, tf.exp(tf.sub(m, mNew))), pv) };
          });
          tf.dispose([m, acc]);
          ({ m, acc } = step);
        }
        // Rows that see no key have a zero sum (and output): divide by 1 to give zeros, like the reference.
        const l = tf.slice(acc, [0, 0, valueDim], [planes, rows, 1]);
        const denominator = tf.where(tf.greater(l, 0), l, tf.onesLike(l));
        const o = tf.slice(acc, [0, 0, 0], [planes, rows, valueDim]);
        return tf.reshape(tf.div(o, denominator), [batch, heads, rows, valueDim]);
      }),
    );
  }
  vOnes.dispose();
  if (outs.length === 1) return outs[0]!;
  const out = tf.concat(outs, 2);
  tf.dispose(outs);
  return out;
}

/**
 * The `webgl` kernel of core's `EAFusedAttention`: tiled multi-pass flash attention with GLSL online-softmax
 * passes (see {@link RowMaxProgram}, {@link MaskedExpProgram}); O(N·d) memory plus one bounded score tile,
 * so it runs lengths where the plain `matMul → softmax → matMul` path runs out of memory. Invalid inputs
 * run core's reference (which raises its error), with a one-time warning. Forward only.
 *
 * @example
 * ```ts
 * tf.registerKernel(fusedAttentionWebGL);
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: true });
 * ```
 */
export const fusedAttentionWebGL: tf.KernelConfig = {
  kernelName: fusedAttentionKernel.name,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { q, k, v } = inputs;
    const a = (attrs ?? {}) as unknown as FusedAttentionAttrs;
    const dims = attentionDims(q, k, v);
    if (dims === undefined || typeof a.scale !== 'number' || typeof a.causal !== 'boolean') {
      return referenceFallback(
        fusedAttentionKernel,
        'webgl',
        'inputs the kernel does not take (the reference validates them)',
        inputs,
        attrs,
      );
    }
    return fusedAttentionTiles(
      backend as WebGLBackendLike,
      q as tf.Tensor4D,
      k as tf.Tensor4D,
      v as tf.Tensor4D,
      dims,
      a,
    );
  },
};
