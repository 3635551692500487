import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors.js';
import type { AttentionDims, MaskMod } from './types.js';

/**
 * The score a masked-out key receives on the dense path (by a select, see {@link maskScores}). Finite (not
 * −∞) so that the fused `tf.softmax` never sees a row of −∞; rows with no allowed key are zeroed explicitly
 * afterwards.
 */
export const MASK_FILL = -1e30;

/**
 * `scores` with the keys `allowed` excludes set to {@link MASK_FILL} by a select, not an added bias: the
 * NaN rule (a masked key never reaches a row) needs it, since NaN + bias is NaN. `allowed` is boolean and
 * broadcasts against `scores`; undefined means every key is allowed.
 *
 * @example
 * ```ts
 * const { allowed } = plan.blockBias(0, 1, 0, 1, 0, 128, 0, 128);
 * const p = tf.softmax(maskScores(scores, allowed));
 * ```
 */
export function maskScores(scores: tf.Tensor, allowed: tf.Tensor | undefined): tf.Tensor {
  if (allowed === undefined) return scores;
  // Fast path: the additive bias, exact when every score is finite (the usual case). tfjs's broadcasting
  // `where` costs ~10× an add on wasm (it tiles every operand to the full shape), so the select runs only
  // for scores that hold NaN or ±∞; the bias is built by arithmetic on the (small, finite) mask.
  const bias = tf.mul(tf.sub(1, tf.cast(allowed, 'float32')), MASK_FILL);
  const masked = tf.add(scores, bias);
  if (allFinite(scores)) return masked;
  return tf.where(tf.broadcastTo(allowed, masked.shape), scores, MASK_FILL);
}

/**
 * Whether every value of `v` is finite: read once per call (outside any gradient, `isFinite` has none), so
 * {@link matMulVisible} takes its slower NaN-safe form only for inputs that need it.
 *
 * @example
 * ```ts
 * const vFinite = allFinite(v); // true for ordinary inputs
 * ```
 */
export function allFinite(v: tf.Tensor): boolean {
  return tf.tidy(() => tf.all(tf.isFinite(v)).dataSync()[0] === 1);
}

/**
 * `p · v` in which keys a row cannot see contribute nothing even when their values are NaN or ±∞ (a plain
 * matMul adds their 0 · NaN = NaN to every row). `visible` (boolean, broadcastable to `p`'s shape) marks the
 * keys each row may see. With `vFinite` (see {@link allFinite}) this is the plain matMul. Otherwise the
 * product is taken with the non-finite values zeroed, and each entry that sees some becomes what float
 * arithmetic gives over the visible keys alone: NaN if it sees a NaN or both +∞ and −∞, else ±∞ (a NaN row
 * of `p` stays NaN).
 *
 * @example
 * ```ts
 * const out = matMulVisible(p, v, allowed, allFinite(v)); // p [.., q, kv], v [.., kv, dv]
 * ```
 */
export function matMulVisible(
  p: tf.Tensor,
  v: tf.Tensor,
  visible: tf.Tensor | undefined,
  vFinite: boolean,
): tf.Tensor {
  if (vFinite || visible === undefined) return tf.matMul(p, v);
  // The conditions come from a copy of v off the gradient tape (logical ops have no gradient); this path
  // only runs for inputs that hold NaN or ±∞.
  const values = tf.tensor(v.dataSync(), v.shape, v.dtype);
  const clean = tf.matMul(p, tf.where(tf.isFinite(values), v, 0));
  const vis = tf.broadcastTo(visible, p.shape);
  // A visible key whose weight is exactly 0 (a −∞ score, or one that underflows) adds 0 · ±∞ = NaN; one with
  // a positive weight adds ±∞. The weights' signs come from a copy off the tape, as the values'.
  const pValues = tf.tensor(p.dataSync(), p.shape, p.dtype);
  const sees = tf.cast(tf.logicalAnd(vis, tf.greater(pValues, 0)), 'float32');
  const seesAtZero = tf.cast(tf.logicalAnd(vis, tf.equal(pValues, 0)), 'float32');
  // Whether each output entry sees a NaN / +∞ / −∞ among its visible keys.
  const count = (weights: tf.Tensor, indicator: tf.Tensor) =>
    tf.greaterEqual(tf.matMul(weights, tf.cast(indicator, 'float32')), 0.5);
  const seesNaN = tf.logicalOr(
    count(tf.cast(vis, 'float32'), tf.isNaN(values)),
    count(seesAtZero, tf.isInf(values)),
  );
  const seesPos = count(sees, tf.logicalAnd(tf.isInf(values), tf.greater(values, 0)));
  const seesNeg = count(sees, tf.logicalAnd(tf.isInf(values), tf.less(values, 0)));
  const nan = tf.logicalOr(seesNaN, tf.logicalAnd(seesPos, seesNeg));
  // clean · 0 + ±∞ keeps a NaN row of p NaN.
  const zeroed = tf.mul(clean, 0);
  const inf = tf.where(
    seesPos,
    tf.add(zeroed, Number.POSITIVE_INFINITY),
    tf.where(seesNeg, tf.add(zeroed, Number.NEGATIVE_INFINITY), clean),
  );
  return tf.where(nan, Number.NaN, inf);
}

/**
 * Tracks, over the key chunks of a row, what the float64 reference does with non-finite scores (a NaN or ±∞
 * in q or k): a row that sees a NaN or +∞ score is NaN (the max is NaN or +∞, and exp(+∞ − +∞) is NaN); a row
 * whose visible scores are all −∞ is NaN too (exp(−∞ − (−∞))); a −∞ score among finite ones weighs 0. The
 * chunked paths cannot see that from one chunk, so {@link NonFiniteScoreRows.observe} records each chunk
 * and returns its scores with every non-finite entry replaced by −3e38 (the softmax stays finite, and a −∞
 * weighs 0 next to finite scores), and {@link NonFiniteScoreRows.poison} turns the rows that must be NaN into
 * NaN at the end. Used only when q or k holds a non-finite value (checked once per call): the common path
 * pays nothing.
 *
 * @example
 * ```ts
 * const rows = new NonFiniteScoreRows();
 * for (const chunk of chunks) s = rows.observe(scores(chunk), allowed(chunk)); // …online softmax…
 * out = rows.poison(out);
 * ```
 */
export class NonFiniteScoreRows {
  private seesNaNOrPosInf?: tf.Tensor;
  private seesAboveNegInf?: tf.Tensor;
  private seesAny?: tf.Tensor;

  /** Records a chunk's scores `[.., rows, cols]` (and which keys are visible); returns them sanitised. */
  observe(scores: tf.Tensor, visible: tf.Tensor | undefined): tf.Tensor {
    // The row flags and the select's condition come from a copy off the gradient tape: logical ops have no
    // gradient, and recording them would break tf.grad through a call with non-finite inputs.
    const values = tf.tensor(scores.dataSync(), scores.shape, scores.dtype);
    const vis = visible === undefined ? undefined : tf.broadcastTo(visible, scores.shape);
    const seen = (x: tf.Tensor) => tf.any(vis === undefined ? x : tf.logicalAnd(vis, x), -1, true);
    const or = (a: tf.Tensor | undefined, b: tf.Tensor) => (a === undefined ? b : tf.logicalOr(a, b));
    this.seesNaNOrPosInf = or(
      this.seesNaNOrPosInf,
      seen(tf.logicalOr(tf.isNaN(values), tf.equal(values, Number.POSITIVE_INFINITY))),
    );
    // NaN ≠ −∞, so a NaN counts as "above −∞" here (its row is NaN anyway).
    this.seesAboveNegInf = or(this.seesAboveNegInf, seen(tf.notEqual(values, Number.NEGATIVE_INFINITY)));
    const any = vis === undefined ? tf.onesLike(this.seesAboveNegInf) : tf.any(vis, -1, true);
    this.seesAny = or(this.seesAny, any);
    return tf.where(tf.isFinite(values), scores, -3e38);
  }

  /** `x` (`[.., rows, cols]`, rows as observed) with the rows the reference makes NaN set to NaN. */
  poison(x: tf.Tensor): tf.Tensor {
    if (this.seesNaNOrPosInf === undefined) return x;
    const allNegInf = tf.logicalAnd(this.seesAny!, tf.logicalNot(this.seesAboveNegInf!));
    const nanRow = tf.logicalOr(this.seesNaNOrPosInf, allNegInf);
    return tf.where(tf.broadcastTo(nanRow, x.shape), Number.NaN, x);
  }
}

/** A mask given to an attention function: a predicate, or a boolean / 0-1 tensor broadcastable to [b, h, q, kv]. */
export type AttentionMaskInput = MaskMod | tf.Tensor;

/** What a block of the score matrix looks like under the mask. */
export type BlockState = 'all' | 'none' | 'partial';

/** A block's additive bias and the rows that keep at least one key (both undefined when not needed). */
export interface BlockBias {
  readonly state: BlockState;
  /** 0 where allowed, {@link MASK_FILL} where masked; shape `[nb|1, nh|1, rows, cols]`. */
  readonly bias?: tf.Tensor;
  /**
   * Boolean `[nb|1, nh|1, rows, cols]`, true where allowed; present exactly when `bias` is. Mask scores with
   * it ({@link maskScores}), not by adding `bias`: a NaN score plus a bias stays NaN.
   */
  readonly allowed?: tf.Tensor;
  /** 1 where a row keeps at least one key, else 0; shape `[nb|1, nh|1, rows, 1]`; only when some row is empty. */
  readonly rowValid?: tf.Tensor;
  /**
   * Boolean `[nb|1, nh|1, rows, 1]`: which rows keep a key in this block (every partial block has it). Built
   * from the mask alone, never from q/k/v, so it puts nothing on the gradient tape.
   */
  readonly rowAny?: tf.Tensor;
}

/**
 * Turns `causal` + `mask` into per-block biases. Causal is bottom-right aligned (query i sees keys
 * `kv ≤ i + kvLen − qLen`, the KV-cache convention of FlashAttention ≥ 2.1). Predicates are evaluated per
 * block and broadcast over batch/heads when they declare themselves invariant.
 *
 * @example
 * ```ts
 * const plan = new AttentionMaskPlan('myAttention', dims, true, (_b, _h, q, kv) => q - kv < 64);
 * const { state, bias, rowValid } = plan.blockBias(0, 1, 0, 1, 0, 128, 0, 128); // one head, one 128×128 block
 * ```
 */
export class AttentionMaskPlan {
  readonly hasMask: boolean;
  private readonly tensorMask?: tf.Tensor;
  private readonly maskMod?: MaskMod;
  /**
   * Biases of blocks whose mask is the same for every batch and head (causal, invariant predicates), kept
   * across the per-head loop so a 4096² causal plane is built once per call, not once per head.
   */
  private readonly shared = new Map<string, BlockBias>();
  private sharing = false;

  constructor(
    readonly fn: string,
    readonly dims: AttentionDims,
    readonly causal: boolean,
    mask: AttentionMaskInput | undefined,
  ) {
    if (typeof mask === 'function') {
      this.maskMod = mask;
    } else if (mask !== undefined) {
      const m = mask as tf.Tensor;
      if (typeof m !== 'object' || m === null || !Array.isArray(m.shape)) {
        throw new InvalidArgumentError(fn, 'options.mask', 'a MaskMod function or a boolean tensor', mask);
      }
      const target = [dims.batch, dims.heads, dims.qLen, dims.kvLen];
      if (m.rank < 2 || m.rank > 4) {
        throw new InvalidArgumentError(
          fn,
          'options.mask',
          `a tensor broadcastable to [${target.join(', ')}] (rank 2 to 4)`,
          m,
        );
      }
      const padded = [...Array(4 - m.rank).fill(1), ...m.shape] as number[];
      padded.forEach((s, i) => {
        if (s !== 1 && s !== target[i]) {
          throw new InvalidArgumentError(
            fn,
            'options.mask',
            `a tensor broadcastable to [${target.join(', ')}]`,
            m,
            `Dimension ${i} is ${s}; it must be 1 or ${target[i]}.`,
          );
        }
      });
      this.tensorMask = m;
    }
    this.hasMask = causal || mask !== undefined;
  }

  /** Whether a query-key rectangle is entirely allowed / disallowed by the causal rule alone. */
  private causalState(q0: number, q1: number, k0: number, k1: number): BlockState {
    if (!this.causal) return 'all';
    const shift = this.dims.kvLen - this.dims.qLen;
    if (k1 - 1 <= q0 + shift) return 'all';
    if (k0 > q1 - 1 + shift) return 'none';
    return 'partial';
  }

  /** True when a block holds no allowed pair for any batch or head (it can be skipped). */
  isEmptyBlock(q0: number, q1: number, k0: number, k1: number): boolean {
    return this.causalState(q0, q1, k0, k1) === 'none';
  }

  /** Evaluates causal + predicate into a Uint8Array plane for one (b, h). */
  private plane(b: number, h: number, q0: number, q1: number, k0: number, k1: number): Uint8Array {
    const rows = q1 - q0;
    const cols = k1 - k0;
    const out = new Uint8Array(rows * cols);
    const shift = this.dims.kvLen - this.dims.qLen;
    const mod = this.maskMod;
    for (let i = 0; i < rows; i++) {
      const q = q0 + i;
      const limit = this.causal ? q + shift : Number.POSITIVE_INFINITY;
      const base = i * cols;
      for (let j = 0; j < cols; j++) {
        const kv = k0 + j;
        out[base + j] = kv <= limit && (mod === undefined || mod(b, h, q, kv)) ? 1 : 0;
      }
    }
    return out;
  }

  /**
   * The bias of the block covering batches [b0, b0+nb), heads [h0, h0+nh), queries [q0, q1), keys [k0, k1).
   * Run inside `tf.tidy`. Inside {@link AttentionMaskPlan.shareInvariantBlocks} a batch- and head-invariant
   * block's result is shared across calls (kept, freed when that scope ends): do not dispose it yourself.
   */
  blockBias(
    b0: number,
    nb: number,
    h0: number,
    nh: number,
    q0: number,
    q1: number,
    k0: number,
    k1: number,
  ): BlockBias {
    const invariant =
      this.sharing &&
      this.tensorMask === undefined &&
      (this.maskMod === undefined ||
        (this.maskMod.batchInvariant === true && this.maskMod.headInvariant === true));
    if (!invariant) return this.computeBlockBias(b0, nb, h0, nh, q0, q1, k0, k1);
    const key = `${q0}:${q1}:${k0}:${k1}`;
    let cached = this.shared.get(key);
    if (cached === undefined) {
      cached = this.computeBlockBias(b0, nb, h0, nh, q0, q1, k0, k1);
      for (const t of [cached.bias, cached.allowed, cached.rowValid, cached.rowAny]) {
        if (t !== undefined) tf.keep(t);
      }
      this.shared.set(key, cached);
    }
    return cached;
  }

  /**
   * Runs `body` with block biases shared across batches and heads when the mask allows it (causal, invariant
   * predicates): the per-head loops of the attention functions then build each causal plane once per call,
   * not once per head. The shared tensors are kept for the duration of `body` and freed after it.
   *
   * @example
   * ```ts
   * const out = plan.shareInvariantBlocks(() => tf.tidy(() => perHeadLoop(plan)));
   * ```
   */
  shareInvariantBlocks<T>(body: () => T): T {
    this.sharing = true;
    try {
      return body();
    } finally {
      this.sharing = false;
      for (const b of this.shared.values()) {
        tf.dispose([b.bias, b.allowed, b.rowValid, b.rowAny].filter((t): t is tf.Tensor => t !== undefined));
      }
      this.shared.clear();
    }
  }

  private computeBlockBias(
    b0: number,
    nb: number,
    h0: number,
    nh: number,
    q0: number,
    q1: number,
    k0: number,
    k1: number,
  ): BlockBias {
    if (!this.hasMask) return { state: 'all' };
    const cState = this.causalState(q0, q1, k0, k1);
    if (cState === 'none') return { state: 'none' };
    const rows = q1 - q0;
    const cols = k1 - k0;
    let allowed: tf.Tensor | undefined;
    let jsEmptyRows = false;
    let jsAllAllowed = true;
    if (this.maskMod !== undefined || cState === 'partial') {
      const mod = this.maskMod;
      const bCount = mod === undefined || mod.batchInvariant ? 1 : nb;
      const hCount = mod === undefined || mod.headInvariant ? 1 : nh;
      const data = new Uint8Array(bCount * hCount * rows * cols);
      let anyAllowed = false;
      for (let bi = 0; bi < bCount; bi++) {
        for (let hi = 0; hi < hCount; hi++) {
          const p = this.plane(b0 + bi, h0 + hi, q0, q1, k0, k1);
          data.set(p, (bi * hCount + hi) * rows * cols);
          for (let i = 0; i < rows; i++) {
            let rowAny = false;
            for (let j = 0; j < cols; j++) {
              if (p[i * cols + j]) rowAny = true;
              else jsAllAllowed = false;
            }
            if (rowAny) anyAllowed = true;
            else jsEmptyRows = true;
          }
        }
      }
      if (!anyAllowed && this.tensorMask === undefined) return { state: 'none' };
      if (!jsAllAllowed) allowed = tf.tensor(data, [bCount, hCount, rows, cols], 'bool');
    }
    if (this.tensorMask !== undefined) {
      const tm = this.tensorMask;
      const shape4 = [...Array(4 - tm.rank).fill(1), ...tm.shape] as number[];
      const m4 = tm.rank === 4 ? tm : tf.reshape(tm, shape4);
      const begin = [
        shape4[0] === 1 ? 0 : b0,
        shape4[1] === 1 ? 0 : h0,
        shape4[2] === 1 ? 0 : q0,
        shape4[3] === 1 ? 0 : k0,
      ];
      const size = [
        shape4[0] === 1 ? 1 : nb,
        shape4[1] === 1 ? 1 : nh,
        shape4[2] === 1 ? 1 : rows,
        shape4[3] === 1 ? 1 : cols,
      ];
      const sliced = tf.slice(m4, begin, size);
      const asBool = sliced.dtype === 'bool' ? sliced : tf.notEqual(sliced, 0);
      allowed = allowed === undefined ? asBool : tf.logicalAnd(allowed, asBool);
      // A tensor mask can empty rows anywhere; zero them out after the softmax.
      const rowAny = tf.any(
        tf.broadcastTo(allowed, [allowed.shape[0]!, allowed.shape[1]!, rows, cols]),
        -1,
        true,
      );
      const bias = tf.where(allowed, tf.zeros(allowed.shape), tf.fill(allowed.shape, MASK_FILL));
      return { state: 'partial', bias, allowed, rowValid: tf.cast(rowAny, 'float32'), rowAny };
    }
    if (allowed === undefined) return { state: 'all' };
    const bias = tf.where(allowed, tf.zeros(allowed.shape), tf.fill(allowed.shape, MASK_FILL));
    const rowAny = tf.any(allowed, -1, true);
    return jsEmptyRows
      ? { state: 'partial', bias, allowed, rowValid: tf.cast(rowAny, 'float32'), rowAny }
      : { state: 'partial', bias, allowed, rowAny };
  }
}
