import {
  type AttentionDims,
  type FusedAttentionAttrs,
  fusedAttentionKernel,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { GPGPUProgramSpec, WebGLBackendLike } from '../../runtime/webgl/webgl-program.js';
import { attentionDimsOrUndefined, referenceFallback } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/**
 * The keys of a tile a query row may see, in GLSL: `allowedKeys(i)` for row `i` of the tile (query
 * `q0 + i`) and keys `k0 …` of the tile. Causal masking is bottom-right aligned (query q sees keys
 * ≤ q + kvLen − qLen), so the allowed keys of a row are a prefix of the tile, and a row's prefix is never
 * shorter than the row above's.
 */
function allowedKeysGLSL(tileKeys: number, causal: boolean, qLen: number, kvLen: number): string {
  const limit = causal ? `clamp(q0 + i + 1 + ${kvLen - qLen} - k0, 0, ${tileKeys})` : `${tileKeys}`;
  return `int allowedKeys(int i) { return ${limit}; }`;
}

/**
 * Whether q, k and v hold only finite values: one reduction and a one-value readback per call. The webgl
 * kernels take finite inputs; inputs with NaN or ±∞ run core's reference instead, which follows the NaN
 * rule (a NaN reaches exactly the outputs that can see it). GLSL gives no guarantee for NaN in `max`,
 * comparisons or `0 · NaN`, and the tiled kernels multiply masked keys' values by a weight of 0.
 *
 * @example
 * ```ts
 * if (!inputsFinite([q, k, v])) return fusedAttentionKernel.reference(inputs, attrs);
 * ```
 */
export function inputsFinite(tensors: readonly tf.TensorInfo[]): boolean {
  const all = tf.tidy(() =>
    tensors
      .map((t) => tf.all(tf.isFinite(tf.reshape(t as tf.Tensor, [-1]))))
      .reduce((a, b) => tf.logicalAnd(a, b)),
  );
  const finite = all.dataSync()[0] === 1;
  all.dispose();
  return finite;
}

/** Shape facts of one tile of {@link RowMaxProgram} and {@link MaskedExpProgram}. */
export interface OnlineSoftmaxTile {
  /** Rows of the score tile: batch · heads. */
  planes: number;
  /** Query rows and keys in the tile. */
  tileQueries: number;
  tileKeys: number;
  causal: boolean;
  qLen: number;
  kvLen: number;
}

/** A masked score: far below any real one, and exp(MASKED − m) is 0. */
const MASKED = '-3.0e38';

/**
 * GLSL, packed (tfjs-webgl's 2×2 texels, the layout its `matMul` writes, so no unpack pass runs before it):
 * the running row maximum of a `[planes, tileQueries, tileKeys]` score tile over the keys each row may see,
 * `max(M, max_j S[·, i, j])`, as `[planes, tileQueries, 1]` — the first half of an online-softmax step
 * (Milakov & Gimelshein 2018, https://arxiv.org/abs/1805.02867). One texel covers two query rows; it reads
 * the scores two rows × two keys at a time. Uniforms `q0`, `k0`: the tile's first query and key.
 *
 * @example
 * ```ts
 * const m = backend.runWebGLProgram(new RowMaxProgram(tile), [scores, runningMax], 'float32', [[q0], [k0]]);
 * ```
 */
export class RowMaxProgram implements GPGPUProgramSpec {
  readonly variableNames = ['S', 'M'];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly packedInputs = true;
  readonly packedOutput = true;
  readonly customUniforms = [
    { name: 'q0', type: 'int' as const },
    { name: 'k0', type: 'int' as const },
  ];

  constructor(tile: OnlineSoftmaxTile) {
    this.outputShape = [tile.planes, tile.tileQueries, 1];
    this.userCode = `
      ${allowedKeysGLSL(tile.tileKeys, tile.causal, tile.qLen, tile.kvLen)}
      void main() {
        ivec3 c = getOutputCoords();
        vec4 m = getM(c.x, c.y, 0); // x: row c.y, z: row c.y + 1
        int keysA = allowedKeys(c.y);
        int keysB = allowedKeys(c.y + 1);
        for (int j = 0; j < ${tile.tileKeys}; j += 2) {
          if (j >= keysB) break;
          vec4 s = getS(c.x, c.y, j); // (row, key): x (r, j), y (r, j+1), z (r+1, j), w (r+1, j+1)
          m.x = max(m.x, max(j < keysA ? s.x : ${MASKED}, j + 1 < keysA ? s.y : ${MASKED}));
          m.z = max(m.z, max(s.z, j + 1 < keysB ? s.w : ${MASKED}));
        }
        setOutput(vec4(m.x, 0.0, m.z, 0.0));
      }
    `;
  }
}

/**
 * GLSL, packed like {@link RowMaxProgram}: the unnormalised probabilities of a score tile,
 * `exp(S[·, i, j] − M[·, i])` where row i may see key j and 0 elsewhere — the second half of an
 * online-softmax step — written in the packed layout tfjs's `matMul` reads (no pack pass before p·v).
 * Uniforms `q0`, `k0` as {@link RowMaxProgram}.
 *
 * @example
 * ```ts
 * const p = backend.runWebGLProgram(new MaskedExpProgram(tile), [scores, newMax], 'float32', [[q0], [k0]]);
 * ```
 */
export class MaskedExpProgram implements GPGPUProgramSpec {
  readonly variableNames = ['S', 'M'];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly packedInputs = true;
  readonly packedOutput = true;
  readonly customUniforms = [
    { name: 'q0', type: 'int' as const },
    { name: 'k0', type: 'int' as const },
  ];

  constructor(tile: OnlineSoftmaxTile) {
    this.outputShape = [tile.planes, tile.tileQueries, tile.tileKeys];
    this.userCode = `
      ${allowedKeysGLSL(tile.tileKeys, tile.causal, tile.qLen, tile.kvLen)}
      void main() {
        ivec3 c = getOutputCoords();
        vec4 s = getS(c.x, c.y, c.z);
        vec4 m = getM(c.x, c.y, 0);
        int keysA = allowedKeys(c.y);
        int keysB = allowedKeys(c.y + 1);
        bvec4 allowed = bvec4(c.z < keysA, c.z + 1 < keysA, c.z < keysB, c.z + 1 < keysB);
        // Masked lanes may hold anything (even past the tile's edge): select, never multiply by 0.
        vec4 p = exp(min(s - m.xxzz, 0.0));
        setOutput(mix(vec4(0.0), p, allowed));
      }
    `;
  }
}

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
  dims: AttentionDims,
  attrs: Required<FusedAttentionAttrs>,
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
 * run core's reference (which raises its error), with a one-time warning; inputs holding NaN or ±∞ run it
 * too, silently, so the NaN rule holds ({@link inputsFinite}). Forward only.
 *
 * @example
 * ```ts
 * registerWebGLKernels(); // registers fusedAttentionWebGL with the rest
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: true });
 * ```
 */
export const fusedAttentionWebGL = defineKernelImplementation({
  contract: fusedAttentionKernel,
  backend: 'webgl',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const { q, k, v } = inputs;
      const a = (attrs ?? {}) as unknown as Required<FusedAttentionAttrs>;
      const dims = attentionDimsOrUndefined(fusedAttentionKernel.name, q, k, v);
      if (dims === undefined || typeof a.scale !== 'number' || typeof a.causal !== 'boolean') {
        return referenceFallback(
          fusedAttentionKernel,
          'webgl',
          'inputs the kernel does not take (the reference validates them)',
          inputs,
          attrs,
        );
      }
      // The NaN rule: inputs with NaN or ±∞ take the reference (see inputsFinite).
      if (!inputsFinite([q!, k!, v!])) {
        return fusedAttentionKernel.reference({ q, k, v } as Record<'q' | 'k' | 'v', tf.Tensor>, a);
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
});
