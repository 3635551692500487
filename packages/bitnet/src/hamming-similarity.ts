import { InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { assertFloat32Tensor } from './tensor-arguments.js';

/**
 * Packs the signs of `rows` vectors of length `dim` (row-major) into bits: bit `j mod 32` of word
 * `⌊j / 32⌋` of a row is 1 when value j is > 0, 0 when it is ≤ 0 (BitNet's Sign: +1 for x > 0, −1 for
 * x ≤ 0). Rows take ⌈dim / 32⌉ words; padding bits are 0. XNOR-Net, https://arxiv.org/abs/1603.05279.
 *
 * @example
 * ```ts
 * packSignBits(Float32Array.of(0.5, -1, 0, 2), 1, 4); // Int32Array [0b1001] = [9]
 * ```
 */
export function packSignBits(values: ArrayLike<number>, rows: number, dim: number): Int32Array {
  const words = Math.ceil(dim / 32);
  if (values.length !== rows * dim) {
    throw new InvalidArgumentError(
      'packSignBits',
      'values.length',
      `rows·dim = ${rows * dim}`,
      values.length,
    );
  }
  const out = new Int32Array(rows * words);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      if (values[r * dim + j]! > 0) out[r * words + (j >> 5)]! |= 1 << (j & 31);
    }
  }
  return out;
}

/**
 * Number of set bits of a 32-bit integer (SWAR: shifts, masks and adds, no multiplication) — the popcount of
 * XNOR-Net's XNOR-popcount, https://arxiv.org/abs/1603.05279.
 *
 * @example
 * ```ts
 * popcount32(0b1011); // 3
 * popcount32(-1); // 32
 * ```
 */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  v += v >>> 8;
  v += v >>> 16;
  return v & 63;
}

/**
 * sign(a)·sign(b) for two packed rows of `dim` signs: `dim − 2·popcount(a XOR b)` (XNOR-popcount: agreeing
 * signs add 1, disagreeing ones −1). Padding bits are 0 in both rows, so they never count.
 */
export function signDot(
  a: Int32Array,
  aOffset: number,
  b: Int32Array,
  bOffset: number,
  words: number,
  dim: number,
): number {
  let differ = 0;
  for (let w = 0; w < words; w++) differ += popcount32(a[aOffset + w]! ^ b[bOffset + w]!);
  return dim - 2 * differ;
}

/**
 * The similarity of Hamming attention: for q `[batch, heads, qLen, d]` and k `[batch, kvHeads, kvLen, d]`
 * (kvHeads divides heads, grouped-query style), returns sign(q)·sign(k)ᵀ `[batch, heads, qLen, kvLen]` as
 * float32 integers in [−d, d], computed on sign bits packed 32 per word by XNOR-popcount
 * (`d − 2·popcount(q XOR k)`, XNOR-Net, https://arxiv.org/abs/1603.05279), with Sign(x) = +1 for x > 0 and
 * −1 for x ≤ 0 as in BitNet (https://arxiv.org/abs/2310.11453). Reads q and k back to JS; no gradient.
 *
 * @example
 * ```ts
 * const q = tf.tensor4d([[[[0.3, -2, 0.1]]]]); // signs (+, −, +)
 * const k = tf.tensor4d([[[[1, 1, -0.5], [-1, -3, 0.2]]]]); // (+, +, −), (−, −, +)
 * hammingSimilarity(q, k); // [[[[−1, 1]]]]
 * ```
 */
export function hammingSimilarity(q: tf.Tensor, k: tf.Tensor): tf.Tensor4D {
  const fn = 'hammingSimilarity';
  assertFloat32Tensor(fn, 'q', q, { rank: 4 });
  assertFloat32Tensor(fn, 'k', k, { rank: 4 });
  const [b, h, n, d] = q.shape as [number, number, number, number];
  const [kb, kh, m, kd] = k.shape as [number, number, number, number];
  if (kb !== b) throw new InvalidArgumentError(fn, 'k.shape[0] (batch)', `${b} (q's batch)`, kb);
  if (kd !== d) throw new InvalidArgumentError(fn, 'k.shape[3] (d)', `${d} (q's last axis)`, kd);
  if (h % kh !== 0) throw new InvalidArgumentError(fn, 'k.shape[1] (kv heads)', `a divisor of ${h}`, kh);
  const scores = signDotMatrix(q.dataSync(), k.dataSync(), {
    batch: b,
    heads: h,
    kvHeads: kh,
    qLen: n,
    kvLen: m,
    d,
  });
  return tf.tensor4d(scores, [b, h, n, m]);
}

/** Shape facts of {@link signDotMatrix}. */
export interface SignDotShape {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  d: number;
}

/**
 * sign(q)·sign(k)ᵀ for every (batch, head, query, key) as a Float32Array `[batch, heads, qLen, kvLen]`,
 * on packed sign bits (see {@link hammingSimilarity}).
 */
export function signDotMatrix(q: ArrayLike<number>, k: ArrayLike<number>, s: SignDotShape): Float32Array {
  const words = Math.ceil(s.d / 32);
  const qBits = packSignBits(q, s.batch * s.heads * s.qLen, s.d);
  const kBits = packSignBits(k, s.batch * s.kvHeads * s.kvLen, s.d);
  const group = s.heads / s.kvHeads;
  const out = new Float32Array(s.batch * s.heads * s.qLen * s.kvLen);
  let o = 0;
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.heads; h++) {
      const kRow0 = (b * s.kvHeads + Math.floor(h / group)) * s.kvLen;
      for (let i = 0; i < s.qLen; i++) {
        const qOffset = ((b * s.heads + h) * s.qLen + i) * words;
        for (let j = 0; j < s.kvLen; j++)
          out[o++] = signDot(qBits, qOffset, kBits, (kRow0 + j) * words, words, s.d);
      }
    }
  }
  return out;
}
