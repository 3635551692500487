import { InvalidArgumentError, type ScoreModContext } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

/** The ramp's constants: R, S and the query offset (see `spanRampScoreMod`). */
export interface RampConstants {
  readonly rampSize: number;
  readonly maxSpan: number;
  readonly offset: number;
}

/**
 * The ramp `m_z(x) = clamp((R + z − x)/R, 0, 1)` for `x < S` (0 for `x ≥ S`), with z clamped to [0, S]
 * first (Sukhbaatar et al. 2019, eq. 4, https://arxiv.org/abs/1905.07799).
 */
export function rampMask(z: number, x: number, c: RampConstants): number {
  if (x >= c.maxSpan) return 0;
  const clamped = Math.min(c.maxSpan, Math.max(0, z));
  return Math.min(1, Math.max(0, (c.rampSize + clamped - x) / c.rampSize));
}

/**
 * `∂ log m_z(x) / ∂z`: `1 / (R·m)` on the ramp (`0 < m`, `(R + z − x)/R ≤ 1`, z within [0, S]), 0 elsewhere —
 * where the ramp is flat, where z is clamped, and where `m = 0` (the score is −∞ there and its weight exactly
 * 0, so nothing flows back; differentiating `log` there would give 0/0).
 */
function rampLogGradient(z: number, x: number, c: RampConstants): number {
  if (x >= c.maxSpan || z < 0 || z > c.maxSpan) return 0;
  const u = (c.rampSize + z - x) / c.rampSize;
  return u > 0 && u <= 1 ? 1 / (c.rampSize * u) : 0;
}

/** Where a span tensor's value for (b, h, q) lives: `[heads]` or `[batch|1, heads|1, qLen|1, 1]`. */
export function spanIndexer(spans: tf.Tensor): (b: number, h: number, q: number) => number {
  if (spans.rank === 1) {
    const perHead = spans.shape[0] !== 1;
    return (_b, h) => (perHead ? h : 0);
  }
  const [sb, sh, sq] = spans.shape as [number, number, number, number];
  return (b, h, q) => ((sb === 1 ? 0 : b) * sh + (sh === 1 ? 0 : h)) * sq + (sq === 1 ? 0 : q);
}

/** The part of `spans` a score block reads (it carries the block's gradient back to the spans). */
function spansOfBlock(
  fn: string,
  spans: tf.Tensor,
  nb: number,
  nh: number,
  rows: number,
  ctx: ScoreModContext,
) {
  if (spans.rank === 1) {
    const heads = spans.shape[0]!;
    if (heads !== 1 && ctx.headStart + nh > heads) {
      throw new InvalidArgumentError(fn, 'spans', `one span per head (≥ ${ctx.headStart + nh} heads)`, spans);
    }
    // The whole [heads] tensor (no per-block slice op); the gradient is placed at the block's heads.
    return spans;
  }
  const [sb, sh, sq] = spans.shape as [number, number, number, number];
  if (
    (sb !== 1 && sb < ctx.batchStart + nb) ||
    (sh !== 1 && sh < ctx.headStart + nh) ||
    (sq !== 1 && sq !== ctx.qLen)
  ) {
    throw new InvalidArgumentError(
      fn,
      'spans',
      `a tensor broadcastable to [batch, heads, qLen = ${ctx.qLen}, 1] covering the attention call`,
      spans,
    );
  }
  return tf.slice(
    spans,
    [sb === 1 ? 0 : ctx.batchStart, sh === 1 ? 0 : ctx.headStart, sq === 1 ? 0 : ctx.qStart, 0],
    [sb === 1 ? 1 : nb, sh === 1 ? 1 : nh, sq === 1 ? 1 : rows, 1],
  );
}

/**
 * Sums `t` (`[nb, nh, rows, cols]`) down to the shape of the spans it came from: `[heads]` (the block covers
 * heads `[headStart, headStart + nh)`) or the block's rank-4 slice.
 */
function sumToSpanShape(t: tf.Tensor, shape: number[], headStart: number): tf.Tensor {
  if (shape.length === 1) {
    const heads = shape[0]!;
    if (heads === 1) return tf.reshape(tf.sum(t), [1]);
    const perHead = tf.sum(t, [0, 2, 3]);
    const nh = perHead.shape[0]!;
    return nh === heads ? perHead : tf.pad(perHead, [[headStart, heads - headStart - nh]]);
  }
  const rowSums = tf.sum(t, 3, true);
  const axes = [0, 1, 2].filter((a) => shape[a] === 1 && rowSums.shape[a] !== 1);
  return tf.reshape(axes.length > 0 ? tf.sum(rowSums, axes, true) : rowSums, shape);
}

/**
 * Adds `log m_z(x)` to a `[nb, nh, rows, cols]` block of scores (`−∞` where `m = 0`). The mask depends on the
 * span values and the block's positions only, so it is computed in JS from `values` (a snapshot of `spans`)
 * and uploaded once per block — on wasm this is several times cheaper than the dozen tiny tensor ops it
 * replaces, which dominated the block-sparse path. A custom gradient sends `dy · ∂log m/∂z`, summed over the
 * block, back to the slice of `spans` the block reads, so z stays trainable.
 */
export function addRampLogMask(
  fn: string,
  spans: tf.Tensor,
  values: ArrayLike<number>,
  scores: tf.Tensor,
  ctx: ScoreModContext,
  c: RampConstants,
  cache?: Map<string, tf.Tensor>,
): tf.Tensor {
  const [nb, nh, rows, cols] = scores.shape as [number, number, number, number];
  const zBlock = spansOfBlock(fn, spans, nb, nh, rows, ctx);
  const perBatch = spans.rank === 4 && spans.shape[0] !== 1;
  const perHead = spans.shape[spans.rank === 1 ? 0 : 1] !== 1;
  const bb = perBatch ? nb : 1;
  const hh = perHead ? nh : 1;
  const index = spanIndexer(spans);
  const shift = ctx.qStart + c.offset - ctx.kvStart;
  /** Calls `row(k, z, i)` for every (b, h, i) of the block's broadcast layout; `k` is the row's first index. */
  const eachRow = (row: (k: number, z: number, i: number) => void): void => {
    let k = 0;
    for (let b = 0; b < bb; b++)
      for (let h = 0; h < hh; h++)
        for (let i = 0; i < rows; i++, k += cols) {
          row(k, values[index(ctx.batchStart + b, ctx.headStart + h, ctx.qStart + i)]!, i);
        }
  };
  const shape: [number, number, number, number] = [bb, hh, rows, cols];
  const computeLogMask = (): tf.Tensor => {
    // log m per (query, key): 0 on the flat part, −∞ past the ramp or at x ≥ S; a log only on the ramp.
    const logMask = new Float32Array(bb * hh * rows * cols);
    eachRow((k, z, i) => {
      const top = c.rampSize + Math.min(c.maxSpan, Math.max(0, z));
      for (let j = 0; j < cols; j++) {
        const x = Math.abs(shift + i - j);
        const u = (top - x) / c.rampSize;
        logMask[k + j] = x >= c.maxSpan || u <= 0 ? Number.NEGATIVE_INFINITY : u >= 1 ? 0 : Math.log(u);
      }
    });
    return tf.tensor4d(logMask, shape);
  };
  // Blocks of a band repeat: with spans that do not vary per query, every block with the same heads, size
  // and query–key shift has the same mask. The cache's owner disposes it after the attention call; the
  // tensor is used inside the custom-gradient forward only, so no gradient tape holds it.
  const perQuery = spans.rank === 4 && spans.shape[2] !== 1;
  const key = `${ctx.batchStart}|${ctx.headStart}|${nb}|${nh}|${rows}|${cols}|${shift}`;
  const cachedLogMask = (): tf.Tensor => {
    if (cache === undefined || perQuery) return computeLogMask();
    let t = cache.get(key);
    if (t === undefined) {
      t = tf.keep(computeLogMask());
      cache.set(key, t);
    }
    return t;
  };
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [s] = args as [tf.Tensor, tf.Tensor];
    return {
      value: tf.add(s, cachedLogMask()),
      gradFunc: (dy: tf.Tensor) =>
        tf.tidy(() => {
          const gradient = new Float32Array(bb * hh * rows * cols);
          eachRow((k, z, i) => {
            for (let j = 0; j < cols; j++) gradient[k + j] = rampLogGradient(z, Math.abs(shift + i - j), c);
          });
          const dLogMask = tf.tensor4d(gradient, shape);
          return [dy, sumToSpanShape(tf.mul(dy, dLogMask), zBlock.shape, ctx.headStart)];
        }),
    };
  });
  return run(scores, zBlock);
}
