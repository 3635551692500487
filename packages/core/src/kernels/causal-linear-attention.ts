import * as tf from '@tensorflow/tfjs-core';
import { allFinite, matMulVisible } from '../attention-mask.js';
import { InvalidArgumentError } from '../errors.js';
import { rowBlocks } from '../row-blocks.js';
import { assertKnownOptions, assertNumber } from '../validation.js';
import { defineKernelContract } from './kernel-contract.js';

/**
 * Inputs of the causal linear attention kernel. `phiQ` and `phiK` are already feature-mapped
 * (non-negative features, e.g. elu(x) + 1 or FAVOR+ random features).
 */
export interface CausalLinearAttentionInputs extends Record<string, tf.Tensor> {
  /** φ(q): `[batch, heads, seq, features]`. */
  phiQ: tf.Tensor;
  /** φ(k): `[batch, heads, seq, features]` (same heads and length as `phiQ`). */
  phiK: tf.Tensor;
  /** Values: `[batch, heads, seq, valueDim]`. */
  v: tf.Tensor;
}

/** Attributes of the causal linear attention kernel. */
export interface CausalLinearAttentionAttrs {
  /** Positions per chunk of the prefix-sum scan (an integer ≥ 1; it need not divide the length). */
  chunkSize: number;
  /** Lower bound of the normaliser: `out = num / max(den, eps)` (> 0), so that 0/0 gives 0, not NaN. */
  eps: number;
  /**
   * `true` (default): the normalised output `num / max(den, eps)`. `false`: the numerator alone,
   * `out_i = Σ_j (φ(q_i)·φ(k_j)) v_j` (`eps` unused; features may have any sign) — the scans the backward
   * pass is made of.
   */
  normalize?: boolean;
  /**
   * `false` (default): causal, row i sums over j ≤ i. `true`: anti-causal, row i sums over j ≥ i (the scan
   * runs from the last position; the backward pass's reverse scans).
   */
  reverse?: boolean;
}

const FN = 'causalLinearAttentionKernel';

/** Validates the attributes and fills the defaults (`normalize: true`, `reverse: false`). */
function resolveCausalLinearAttrs(
  _inputs: CausalLinearAttentionInputs,
  attrs: CausalLinearAttentionAttrs,
): Required<CausalLinearAttentionAttrs> {
  assertKnownOptions(FN, attrs, ['chunkSize', 'eps', 'normalize', 'reverse'], 'attrs');
  if (attrs === undefined) throw new InvalidArgumentError(FN, 'attrs', 'an object { chunkSize, eps }', attrs);
  const { chunkSize, eps, normalize = true, reverse = false } = attrs;
  assertNumber(FN, 'attrs.chunkSize', chunkSize, { integer: true, min: 1 });
  assertNumber(FN, 'attrs.eps', eps, { positive: true });
  if (typeof normalize !== 'boolean')
    throw new InvalidArgumentError(FN, 'attrs.normalize', 'a boolean', normalize);
  if (typeof reverse !== 'boolean') throw new InvalidArgumentError(FN, 'attrs.reverse', 'a boolean', reverse);
  return { chunkSize, eps, normalize, reverse };
}

function assertShapes(phiQ: unknown, phiK: unknown, v: unknown): [number, number, number, number, number] {
  const named: Array<[string, unknown]> = [
    ['phiQ', phiQ],
    ['phiK', phiK],
    ['v', v],
  ];
  for (const [name, t] of named) {
    const x = t as tf.Tensor | null;
    if (x === null || typeof x !== 'object' || !Array.isArray(x.shape) || x.rank !== 4) {
      throw new InvalidArgumentError(FN, name, 'a rank-4 tensor [batch, heads, seq, features]', t);
    }
    if (x.dtype !== 'float32') throw new InvalidArgumentError(FN, `${name}.dtype`, '"float32"', x.dtype);
  }
  const [b, h, n, f] = (phiQ as tf.Tensor).shape as [number, number, number, number];
  const kShape = (phiK as tf.Tensor).shape;
  const vShape = (v as tf.Tensor).shape;
  if (kShape[0] !== b || kShape[1] !== h || kShape[2] !== n || kShape[3] !== f) {
    throw new InvalidArgumentError(FN, 'phiK.shape', `[${b}, ${h}, ${n}, ${f}] (phiQ's shape)`, kShape);
  }
  if (vShape[0] !== b || vShape[1] !== h || vShape[2] !== n) {
    throw new InvalidArgumentError(FN, 'v.shape', `[${b}, ${h}, ${n}, valueDim]`, vShape);
  }
  return [b, h, n, f, vShape[3]!];
}

/**
 * The reference: the chunked prefix-sum form of causal linear attention (Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236, eq. 9–12, computed chunk by chunk as in Hua et al. 2022,
 * https://arxiv.org/abs/2202.10447). For each head, with `V' = [v | 1]` so that the normaliser rides along
 * as an extra value column:
 *
 * - inside a chunk: `(φ(Q_c) φ(K_c)ᵀ ⊙ lower-triangle) V'_c`;
 * - across chunks: `φ(Q_c) S`, with the running state `S = Σ φ(k_j) v'_jᵀ` over earlier chunks;
 * - `out = num / max(den, eps)`.
 *
 * Work per head is O(N·chunk·(features + valueDim) + N·features·valueDim), memory O(N·(features + valueDim)).
 * Everything is 2-D matMuls per head (the XNNPACK path on tfjs-wasm). Without `normalize` the ones column
 * and the division are left out; with `reverse` the scan runs on the time-reversed sequence. When no kernel
 * is registered, training differentiates these ops with tfjs autodiff (each chunk's gradient is padded to its
 * head's length: O(N²/chunk) memory traffic per head); a registered kernel trains through
 * {@link causalLinearAttentionGradient} instead.
 */
function causalLinearAttentionReference(
  inputs: CausalLinearAttentionInputs,
  attrs: CausalLinearAttentionAttrs,
): tf.Tensor4D {
  const { phiQ, phiK, v } = inputs;
  assertShapes(phiQ, phiK, v);
  // `attrs` arrive resolved (the contract's `reference` and `run` resolve them first).
  const resolved = attrs as Required<CausalLinearAttentionAttrs>;
  if (!resolved.reverse) return causalScan(inputs, resolved);
  // Anti-causal: the causal scan of the time-reversed sequence, reversed back.
  return tf.tidy(() => {
    const flip = (x: tf.Tensor) => tf.reverse(x, 2);
    return flip(causalScan({ phiQ: flip(phiQ), phiK: flip(phiK), v: flip(v) }, resolved)) as tf.Tensor4D;
  });
}

/** The causal chunked scan of the reference (see {@link causalLinearAttentionReference}). */
function causalScan(
  { phiQ, phiK, v }: CausalLinearAttentionInputs,
  { chunkSize, eps, normalize }: Required<CausalLinearAttentionAttrs>,
): tf.Tensor4D {
  const [b, h, n, f, dv] = assertShapes(phiQ, phiK, v);
  const chunk = Math.min(chunkSize, n);
  // With normalize, V' = [v | 1]: the normaliser rides along as an extra value column; without, V' = v.
  const width = normalize ? dv + 1 : dv;
  // NaN rule: a NaN key or value at position j reaches rows ≥ j only. Within a chunk the future keys are
  // selected away (a mask multiply gives 0 · NaN = NaN) and their values kept out of the product.
  const vFinite = allFinite(v);
  return tf.tidy(() => {
    const heads = (x: tf.Tensor, width: number) =>
      rowBlocks(tf.reshape(x, [b * h * n, width]) as tf.Tensor2D);
    const qHeads = heads(phiQ, f);
    const kHeads = heads(phiK, f);
    const vHeads = heads(v, dv);
    const lower = tf.cast(tf.linalg.bandPart(tf.ones([chunk, chunk]), -1, 0), 'bool');
    const outs: tf.Tensor[] = [];
    for (let g = 0; g < b * h; g++) {
      outs.push(
        tf.tidy(() => {
          const q = rowBlocks(qHeads.rows(g * n, n));
          const k = rowBlocks(kHeads.rows(g * n, n));
          const vh = rowBlocks(vHeads.rows(g * n, n));
          // [v | 1]: the normaliser rides along as an extra value column, so num and den share every matMul.
          let state: tf.Tensor | undefined; // Σ φ(k_j) V'_jᵀ over earlier chunks, [f, width]
          const chunks: tf.Tensor[] = [];
          for (let start = 0; start < n; start += chunk) {
            const size = Math.min(chunk, n - start);
            const qc = q.rows(start, size);
            const kcT = k.rowsTransposed(start, size);
            const vc = normalize ? vh.rowsWithOnes(start, size) : vh.rows(start, size);
            const mask = size === chunk ? lower : tf.slice(lower, [0, 0], [size, size]);
            const scores = tf.where(mask, tf.matMul(qc, kcT), 0);
            let out = matMulVisible(scores, vc, mask, vFinite);
            if (state !== undefined) out = tf.add(out, tf.matMul(qc, state));
            chunks.push(out);
            if (start + size < n) {
              const update = tf.matMul(kcT, vc);
              state = state === undefined ? update : tf.add(state, update);
            }
          }
          return chunks.length === 1 ? chunks[0]! : tf.concat(chunks, 0);
        }),
      );
    }
    const all = tf.reshape(outs.length === 1 ? outs[0]! : tf.stack(outs), [b, h, n, width]);
    if (!normalize) return all as tf.Tensor4D;
    const num = tf.slice(all, [0, 0, 0, 0], [b, h, n, dv]);
    const den = tf.slice(all, [0, 0, 0, dv], [b, h, n, 1]);
    return tf.div(num, tf.maximum(den, eps)) as tf.Tensor4D;
  });
}

/**
 * The gradient of `EACausalLinearAttention`, made of the kernel's own unnormalised scans (so it runs as fast
 * as the forward on every backend that registers the kernel). With `q = φ(q)`, `k = φ(k)`, `V' = [v | 1]`,
 * `num_i = Σ_{j≤i} (q_i·k_j) V'_j`, `den_i = num_i[dv]`, `D_i = max(den_i, eps)` and `out_i = num_i[:dv] / D_i`:
 *
 * - `dNum_i = [dO_i / D_i | −(dO_i·out_i) / D_i · [den_i ≥ eps]]` (tfjs's `maximum` sends the gradient to
 *   `den` when `den ≥ eps`);
 * - `dq_i = Σ_{j≤i} (dNum_i·V'_j) k_j` — a causal scan with queries dNum, keys V', values k;
 * - `dk_j = Σ_{i≥j} (V'_j·dNum_i) q_i` — a reverse scan with queries V', keys dNum, values q;
 * - `dv_j = Σ_{i≥j} (k_j·q_i) dNum_i[:dv]` — a reverse scan with queries k, keys q, values dO / D.
 *
 * `den` is recomputed by a scan with one value column of ones (cheaper than saving it from every kernel).
 * Unnormalised (`normalize: false`): dNum = dO and V' = v. Reverse (`reverse: true`): every scan flips
 * direction. Work: about three forwards; memory O(N·(features + valueDim)), no N² term.
 */
function causalLinearAttentionGradient(
  dy: tf.Tensor,
  [phiQ, phiK, v, out]: tf.Tensor[],
  attrs: CausalLinearAttentionAttrs,
): Record<keyof CausalLinearAttentionInputs & string, () => tf.Tensor> {
  const { chunkSize, eps, normalize = true, reverse = false } = attrs;
  const q = phiQ!;
  const k = phiK!;
  const values = v!;
  const scan = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, backward: boolean) =>
    causalLinearAttentionKernel.run(
      { phiQ: a, phiK: b, v: c },
      { chunkSize, eps, normalize: false, reverse: backward },
    );
  // Shared by the three input gradients; computed here, inside tfjs's backward scope (freed with it).
  let dNum = dy; // the gradient of the scanned values' output, [.., width]
  let dNumValues = dy; // its first dv columns
  let vAug = values;
  if (normalize) {
    const shape = [...q.shape.slice(0, 3), 1];
    const ones = tf.ones(shape);
    const den = scan(q, k, ones, reverse);
    const d = tf.maximum(den, eps);
    dNumValues = tf.div(dy, d);
    const active = tf.cast(tf.greaterEqual(den, eps), 'float32');
    const dDen = tf.mul(tf.neg(tf.sum(tf.mul(dNumValues, out!), -1, true)), active);
    dNum = tf.concat([dNumValues, dDen], 3);
    vAug = tf.concat([values, ones], 3);
  }
  return {
    phiQ: () => scan(dNum, vAug, k, reverse),
    phiK: () => scan(vAug, dNum, q, !reverse),
    v: () => scan(k, q, dNumValues, !reverse),
  };
}

/**
 * `EACausalLinearAttention`: causal normalised linear attention over feature-mapped queries and keys,
 * `out_i = Σ_{j≤i} (φ(q_i)·φ(k_j)) v_j / max(Σ_{j≤i} φ(q_i)·φ(k_j), eps)` (Katharopoulos et al. 2020,
 * "Transformers are RNNs", https://arxiv.org/abs/2006.16236). Shapes: `phiQ`, `phiK` `[batch, heads, seq,
 * features]`, `v` `[batch, heads, seq, valueDim]` → `[batch, heads, seq, valueDim]`. The reference is the
 * chunked prefix-sum scan (a running state `S = Σ φ(k) vᵀ`, `z = Σ φ(k)` across chunks, masked products inside
 * a chunk): O(N) time and memory, never a per-token loop. Attributes `normalize: false` (the numerator alone)
 * and `reverse: true` (row i sums over j ≥ i) give the scans of the backward pass.
 *
 * Training: the gradient is registered for the kernel name (see {@link causalLinearAttentionGradient}): when
 * a backend kernel runs, `tf.grad` differentiates through three more kernel scans (O(N) memory); without a
 * kernel the reference runs and tfjs differentiates its ops.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { causalLinearAttentionKernel } from '@efficient-attention/core';
 * const phi = tf.add(tf.elu(tf.randomNormal([1, 2, 100, 16])), 1); // elu + 1 features
 * const v = tf.randomNormal([1, 2, 100, 16]);
 * const out = causalLinearAttentionKernel.run({ phiQ: phi, phiK: phi, v }, { chunkSize: 32, eps: 1e-12 });
 * ```
 */
export const causalLinearAttentionKernel = defineKernelContract<
  CausalLinearAttentionInputs,
  CausalLinearAttentionAttrs
>({
  name: 'EACausalLinearAttention',
  inputNames: ['phiQ', 'phiK', 'v'],
  reference: causalLinearAttentionReference,
  resolveAttrs: resolveCausalLinearAttrs,
  gradient: {
    inputsToSave: ['phiQ', 'phiK', 'v'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => causalLinearAttentionGradient(dy as tf.Tensor, saved, attrs),
  },
});
