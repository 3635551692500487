import * as tf from '@tensorflow/tfjs-core';
import { allFinite, matMulVisible } from '../attention-mask.js';
import { InvalidArgumentError } from '../errors.js';
import type { AttentionDims } from '../types.js';

/** What the attention gradient reference needs besides q, k, v: the scale and which keys each row sees. */
export interface AttentionGradGeometry {
  readonly dims: AttentionDims;
  /** Multiplier of q·k (resolved: finite, > 0). */
  readonly scale: number;
  /** Bottom-right aligned causal mask: query i sees keys ≤ i + kvLen − qLen. */
  readonly causal: boolean;
  /**
   * Boolean `[Bm, Hm, qLen, kvLen]` with Bm ∈ {1, batch}, Hm ∈ {1, heads}: the keys each row may see (and'ed
   * with `causal`); undefined: all.
   */
  readonly visible?: tf.Tensor;
}

/** k or v `[B, Hkv, N, d]` repeated for the query heads of each kv head: `[B, H, N, d]` (head h reads h / group). */
function expandHeads(x: tf.Tensor, dims: AttentionDims): tf.Tensor {
  const group = dims.heads / dims.kvHeads;
  if (group === 1) return x;
  const [b, hkv, n, d] = x.shape as [number, number, number, number];
  return tf.reshape(tf.tile(tf.reshape(x, [b, hkv, 1, n, d]), [1, 1, group, 1, 1]), [b, hkv * group, n, d]);
}

/** `[B, H, N, d]` gradients of the expanded heads summed back onto their kv head: `[B, Hkv, N, d]`. */
function sumGroups(x: tf.Tensor, dims: AttentionDims): tf.Tensor {
  const group = dims.heads / dims.kvHeads;
  if (group === 1) return x;
  const [b, , n, d] = x.shape as [number, number, number, number];
  return tf.sum(tf.reshape(x, [b, dims.kvHeads, group, n, d]), 2);
}

/** The visible-key mask (causal and `visible` combined), or undefined when every key is visible. */
function visibleMask(g: AttentionGradGeometry): tf.Tensor | undefined {
  const { qLen, kvLen } = g.dims;
  let mask = g.visible;
  if (g.causal) {
    const rows = tf.reshape(tf.add(tf.range(0, qLen, 1, 'int32'), kvLen - qLen), [qLen, 1]);
    const causal = tf.lessEqual(tf.reshape(tf.range(0, kvLen, 1, 'int32'), [1, kvLen]), rows);
    mask = mask === undefined ? causal : tf.logicalAnd(mask, causal);
  }
  return mask;
}

/** Scaled scores `[B, H, qLen, kvLen]` with the kv heads expanded. */
function scores(q: tf.Tensor, kHeads: tf.Tensor, scale: number): tf.Tensor {
  return tf.mul(tf.matMul(q, kHeads, false, true), scale);
}

/**
 * Each row's natural log-sum-exp of its visible scaled scores, `[B, H, qLen]`: −∞ for a row that sees no key,
 * NaN for a row that sees a NaN score (the forward kernels' second output, computed with tfjs ops for
 * backends whose forward kernel does not return it). O(N²) memory per call.
 *
 * @example
 * ```ts
 * const lse = attentionLogSumExpReference(q, k, { dims, scale: 0.125, causal: true });
 * ```
 */
export function attentionLogSumExpReference(q: tf.Tensor, k: tf.Tensor, g: AttentionGradGeometry): tf.Tensor {
  return tf.tidy(() => {
    const s = scores(q, expandHeads(k, g.dims), g.scale);
    const mask = visibleMask(g);
    const masked = mask === undefined ? s : tf.where(tf.broadcastTo(mask, s.shape), s, -Infinity);
    const max = tf.max(masked, -1, true);
    // A row with no visible key has max −∞: its log-sum-exp is −∞ (not the NaN of −∞ − −∞).
    const finiteMax = tf.where(tf.isFinite(max), max, tf.zerosLike(max));
    const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(masked, finiteMax)), -1, true)), finiteMax);
    return tf.squeeze(tf.where(tf.equal(max, -Infinity), max, lse), [3]);
  });
}

/**
 * The vector-Jacobian product of masked softmax attention with tfjs ops — the reference of the attention
 * backward kernels (`EAFusedAttentionGrad`, `EABlockSparseAttentionGrad`), in the FlashAttention-2 form
 * (Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 2) but materialising the N² probabilities:
 * P = exp(S − logSumExp) on visible keys (0 elsewhere, and for rows that see nothing), D = rowsum(dO ∘ O),
 * dV = Pᵀ·dO, dS = P ∘ (dO·Vᵀ − D), dQ = scale·dS·K, dK = scale·dSᵀ·Q; grouped-query heads sum dK, dV over
 * their group. Masked keys are selected away, never multiplied by 0, so a NaN there reaches no gradient.
 * Returns `[dq, dk, dv]` shaped like q, k, v.
 *
 * @example
 * ```ts
 * const [dq, dk, dv] = attentionGradReference({ q, k, v, out, dOut, logSumExp }, { dims, scale, causal: true });
 * ```
 */
export function attentionGradReference(
  inputs: { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor; out: tf.Tensor; dOut: tf.Tensor; logSumExp: tf.Tensor },
  g: AttentionGradGeometry,
): tf.Tensor[] {
  const { q, k, v, out, dOut, logSumExp } = inputs;
  return tf.tidy(() => {
    const kHeads = expandHeads(k, g.dims);
    const vHeads = expandHeads(v, g.dims);
    const s = scores(q, kHeads, g.scale);
    const mask = visibleMask(g);
    const lse = tf.expandDims(logSumExp, 3);
    const live = tf.logicalAnd(tf.broadcastTo(tf.isFinite(lse), s.shape), tf.logicalNot(tf.isNaN(s)));
    const visibleRows = tf.broadcastTo(tf.notEqual(lse, -Infinity), s.shape);
    const keep = mask === undefined ? visibleRows : tf.logicalAnd(tf.broadcastTo(mask, s.shape), visibleRows);
    // exp(S − lse) where both are numbers; NaN where the row or score is NaN and the key is visible.
    const p = tf.where(keep, tf.where(live, tf.exp(tf.sub(s, lse)), tf.add(s, lse)), tf.zerosLike(s));
    // Products over keys (or rows) go through matMulVisible: a NaN a row cannot see (a masked key's k or v,
    // a row's q for keys it does not see) must not reach it through 0 · NaN.
    const keepT = tf.transpose(keep, [0, 1, 3, 2]);
    const dv = matMulVisible(tf.transpose(p, [0, 1, 3, 2]), dOut, keepT, allFinite(dOut));
    const dp = tf.matMul(dOut, vHeads, false, true);
    const rowDot = tf.sum(tf.mul(dOut, out), -1, true);
    const ds = tf.where(keep, tf.mul(p, tf.sub(dp, rowDot)), tf.zerosLike(s));
    const dq = tf.mul(matMulVisible(ds, kHeads, keep, allFinite(kHeads)), g.scale);
    const dk = tf.mul(matMulVisible(tf.transpose(ds, [0, 1, 3, 2]), q, keepT, allFinite(q)), g.scale);
    return [dq, sumGroups(dk, g.dims), sumGroups(dv, g.dims)];
  });
}

/**
 * Checks the backward kernels' extra operands against the forward's dims: `out` and `dOut` float32
 * `[batch, heads, qLen, valueDim]`, `logSumExp` float32 `[batch, heads, qLen]`.
 *
 * @example
 * ```ts
 * checkAttentionGradOperands('EAFusedAttentionGrad', { out, dOut, logSumExp }, dims);
 * ```
 */
export function checkAttentionGradOperands(
  fn: string,
  inputs: { out?: tf.Tensor; dOut?: tf.Tensor; logSumExp?: tf.Tensor },
  dims: AttentionDims,
): void {
  const expect = (name: 'out' | 'dOut' | 'logSumExp', shape: number[]) => {
    const t = inputs[name];
    const what = `a float32 tensor [${shape.join(', ')}]`;
    if (!(t instanceof tf.Tensor)) throw new InvalidArgumentError(fn, name, what, t);
    if (t.dtype !== 'float32') throw new InvalidArgumentError(fn, `${name}.dtype`, '"float32"', t.dtype);
    if (t.rank !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new InvalidArgumentError(fn, `${name}.shape`, `[${shape.join(', ')}]`, t.shape);
    }
  };
  const rows = [dims.batch, dims.heads, dims.qLen];
  expect('out', [...rows, dims.valueDim]);
  expect('dOut', [...rows, dims.valueDim]);
  expect('logSumExp', rows);
}
