import { type FusedAttentionAttrs, fusedAttentionKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { attentionDims, referenceFallback } from '../webgpu/kernel-fallback.js';
import { MaskedExpProgram, type OnlineSoftmaxTile, RowMaxProgram } from './online-softmax-programs.js';
import type { WebGLBackendLike } from './webgl-program.js';

/** Keys per tile (and query rows per tile when causal), and the score-tile budget in floats. */
const TILE_KEYS = 512;
const TILE_SCORES = 1 << 22;
/** Initial running maximum: exp(x − INITIAL_MAX) never overflows and exp(INITIAL_MAX − x) is 0. */
const INITIAL_MAX = -3e38;

/** Query rows per tile for `planes` (batch · heads) score planes of `tileKeys` keys. */
export function tileQueries(planes: number, qLen: number, tileKeys: number): number {
  return Math.min(qLen, Math.max(16, Math.floor(TILE_SCORES / (planes * tileKeys))));
}

/**
 * Multi-pass flash attention for tfjs's `webgl` backend. Queries and keys are cut into tiles; per tile,
 * a `[B·H, Tq, Tk]` score tile from tfjs's packed `matMul`, then two GLSL passes — {@link RowMaxProgram}
 * (running row max over the keys each row may see) and {@link MaskedExpProgram} — then the online-softmax
 * update of the running sum and output (Dao et al. 2022, https://arxiv.org/abs/2205.14135; Milakov &
 * Gimelshein 2018, https://arxiv.org/abs/1805.02867). With `causal` (bottom-right aligned), tiles above
 * the diagonal are skipped. Memory: O(N·d) plus one score tile (≤ 4 M floats), never O(N²).
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
        let m: tf.Tensor = tf.fill([planes, rows], INITIAL_MAX);
        let l: tf.Tensor = tf.zeros([planes, rows]);
        let acc: tf.Tensor = tf.zeros([planes, rows, valueDim]);
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
            const kTile = tf.slice(k, [0, 0, k0, 0], [batch, kvHeads, keys, headDim]);
            const vTile = tf.slice(v, [0, 0, k0, 0], [batch, kvHeads, keys, valueDim]);
            const s = tf.reshape(tf.matMul(qTile, kTile, false, true), [planes, rows, keys]);
            const offsets = [[q0], [k0]];
            const mNew = wrap(backend.runWebGLProgram(new RowMaxProgram(tile), [s, m], 'float32', offsets));
            const p = wrap(
              backend.runWebGLProgram(new MaskedExpProgram(tile), [s, mNew], 'float32', offsets),
            );
            const alpha = tf.exp(tf.sub(m, mNew));
            const pv = tf.reshape(tf.matMul(tf.reshape(p, [batch, kvHeads, group * rows, keys]), vTile), [
              planes,
              rows,
              valueDim,
            ]);
            return {
              m: mNew,
              l: tf.add(tf.mul(l, alpha), tf.sum(p, -1)),
              acc: tf.add(tf.mul(acc, tf.expandDims(alpha, -1)), pv),
            };
          });
          tf.dispose([m, l, acc]);
          ({ m, l, acc } = step);
        }
        // Rows that see no key have l = acc = 0: divide by 1 to give zeros, like the reference.
        const denominator = tf.where(tf.greater(l, 0), l, tf.onesLike(l));
        return tf.reshape(tf.div(acc, tf.expandDims(denominator, -1)), [batch, heads, rows, valueDim]);
      }),
    );
  }
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
