import {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  InvalidArgumentError,
  MASK_FILL,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { entmaxBackward } from './entmax-backward.js';
import { assertNormalizerInput, shiftToRowMax } from './normalizer-input.js';

const FN = 'entmaxBisect';

/**
 * The smallest α {@link entmaxBisect} accepts: closer to 1 the exponent 1/(α − 1) exhausts float32, and
 * α-entmax is softmax in the limit anyway (Peters et al. 2019, https://arxiv.org/abs/1905.05702).
 *
 * @example
 * ```ts
 * entmaxBisect(logits, { alpha: MIN_ENTMAX_ALPHA }); // ≈ softmax(logits)
 * ```
 */
export const MIN_ENTMAX_ALPHA = 1.001;

/** Options of {@link entmaxBisect}. */
export interface EntmaxBisectOptions {
  /**
   * α ≥ {@link MIN_ENTMAX_ALPHA}: a number, or a float32 tensor broadcastable to the logits whose last
   * dimension is 1 (e.g. `[1, heads, 1, 1]` for one α per attention head). α = 1.5 is 1.5-entmax, α = 2 is
   * sparsemax, α → 1 tends to softmax. A tensor α receives a gradient. Default 1.5.
   */
  alpha?: number | tf.Tensor;
  /**
   * Bisection steps on the threshold. The bracket starts at most 1 wide, so 25 halvings narrow it to 3e-8,
   * float32's resolution for |τ| ≤ 1. Default 25.
   */
  iterations?: number;
}

/** Sums `t` over the axes that `shape` (left-padded to t's rank) broadcasts, and reshapes to `shape`. */
function sumToShape(t: tf.Tensor, shape: number[]): tf.Tensor {
  const padded = [...Array(t.rank - shape.length).fill(1), ...shape] as number[];
  const axes = padded.flatMap((s, i) => (s === 1 && t.shape[i] !== 1 ? [i] : []));
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes, true) : t, shape);
}

function validateAlpha(alpha: unknown, logits: tf.Tensor): void {
  if (typeof alpha === 'number') {
    assertNumber(FN, 'options.alpha', alpha, { min: MIN_ENTMAX_ALPHA });
    return;
  }
  if (!(alpha instanceof tf.Tensor) || alpha.dtype !== 'float32') {
    throw new InvalidArgumentError(FN, 'options.alpha', 'a number or a float32 tensor', alpha);
  }
  assertLiveTensor(FN, 'options.alpha', alpha);
  const padded = [...Array(Math.max(0, logits.rank - alpha.rank)).fill(1), ...alpha.shape] as number[];
  const fits =
    alpha.rank <= logits.rank &&
    padded[padded.length - 1] === 1 &&
    padded.every((s, i) => s === 1 || s === logits.shape[i]);
  if (!fits) {
    throw new InvalidArgumentError(
      FN,
      'options.alpha',
      `a tensor broadcastable to [${logits.shape.join(', ')}] with last dimension 1`,
      alpha,
    );
  }
  const values = alpha.dataSync();
  for (const a of values) {
    if (!Number.isFinite(a) || a < MIN_ENTMAX_ALPHA) {
      throw new InvalidArgumentError(
        FN,
        'options.alpha',
        `values ≥ ${MIN_ENTMAX_ALPHA} (α = 1 is softmax: use tf.softmax)`,
        a,
      );
    }
  }
}

/**
 * α-entmax along the last axis by bisection (Peters, Niculae & Martins 2019,
 * https://arxiv.org/abs/1905.05702; learnable α: Correia, Niculae & Martins 2019, "Adaptively Sparse
 * Transformers", https://arxiv.org/abs/1909.00015): `p = [(α − 1)·z − τ]₊^(1/(α−1))` with `τ` such that
 * `Σp = 1`. Bisection keeps the lower end of a bracket `[max − 1, max − n^(1−α)]` (n: the row's unmasked entries) where `Σp ≥ 1`, and the
 * result is divided by its sum, so rows sum to 1; entries below the threshold are exactly zero.
 *
 * Gradients (a `tf.customGrad`): for the logits the exact Jacobian `diag(g) − g gᵀ / Σg` with
 * `g = p^(2−α)` on the support; for a tensor α, Correia et al.'s closed form (their Prop. 1 / Appendix B):
 * `∂p/∂α = (p − p̃)/(α−1)² − (p log p − p̃ Σⱼ pⱼ log pⱼ)/(α−1)` with `p̃ = g / Σg`, summed over the axes α
 * broadcasts. Entries of `−∞` get 0; a row of only `−∞` becomes uniform. Inputs must be finite or `−∞`.
 *
 * @param logits float32 tensor of any rank ≥ 1; normalised along the last axis.
 * @returns a tensor of the same shape, each row on the simplex.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { entmaxBisect } from '@efficient-attention/adaptive';
 * const alpha = tf.variable(tf.tensor([1.3, 1.8], [2, 1]));
 * const p = entmaxBisect(tf.tensor2d([[2, 1, -1], [2, 1, -1]]), { alpha }); // rows sum to 1
 * ```
 */
export function entmaxBisect(logits: tf.Tensor, options: EntmaxBisectOptions = {}): tf.Tensor {
  assertNormalizerInput(FN, 'logits', logits);
  assertKnownOptions(FN, options, ['alpha', 'iterations']);
  const alpha = options.alpha ?? 1.5;
  const iterations = options.iterations ?? 25;
  validateAlpha(alpha, logits);
  assertNumber(FN, 'options.iterations', iterations, { integer: true, min: 1 });
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, a, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const p = tf.tidy(() => {
      const am1 = tf.sub(a, 1);
      // Entries 1/(α−1) below the row maximum are never in the support; floor at twice that.
      // Row maximum 0, or −2 for a row of only −∞ (floored everywhere: uniform, and the bracket follows).
      const scaled = tf.mul(shiftToRowMax(x, tf.div(2, am1)), am1);
      // Broadcast once: a same-shape pow is ~8× faster than a broadcasting one on cpu and wasm.
      const exponent = tf.broadcastTo(tf.reciprocal(am1), scaled.shape);
      const pAt = (tau: tf.Tensor) => tf.pow(tf.relu(tf.sub(scaled, tau)), exponent);
      // Σp(τ) − 1 is ≥ 0 at τ = max − 1 and ≤ 0 at τ = max − n^(1−α), whatever the maximum is. n counts the
      // row's unmasked entries (above MASK_FILL / 2; −∞ and masked fills excluded), so masked keys do not move
      // the bracket: a row gives the same result with or without masked padding, even after few iterations
      // (cached decoding = the full pass; fuzz counterexample, issue 21).
      let lo = tf.sub(tf.max(scaled, -1, true), 1);
      const valid = tf.maximum(tf.sum(tf.cast(tf.greater(x, MASK_FILL / 2), 'float32'), -1, true), 1);
      let width = tf.sub(1, tf.pow(tf.reciprocal(valid), am1));
      for (let i = 0; i < iterations; i++) {
        const [nextLo, nextWidth] = tf.tidy(() => {
          const half = tf.div(width, 2);
          const mid = tf.add(lo, half);
          const excess = tf.sub(tf.sum(pAt(mid), -1, true), 1);
          return [tf.where(tf.greaterEqual(excess, 0), mid, lo), half];
        });
        tf.dispose([lo, width]);
        lo = nextLo!;
        width = nextWidth!;
      }
      const unnormalised = pAt(lo); // Σ ≥ 1: never divides by zero
      return tf.div(unnormalised, tf.sum(unnormalised, -1, true));
    });
    save([p, a]);
    return {
      value: p,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [y, alphaSaved] = saved as [tf.Tensor, tf.Tensor];
          const positive = tf.greater(y, 0);
          const zeros = tf.zerosLike(y);
          const g = tf.where(positive, tf.pow(y, tf.sub(2, alphaSaved)), zeros);
          const dx = entmaxBackward(dy, g);
          const am1 = tf.sub(alphaSaved, 1);
          const yLogY = tf.where(positive, tf.mul(y, tf.log(tf.where(positive, y, tf.onesLike(y)))), zeros);
          const negEntropy = tf.sum(yLogY, -1, true);
          const skewed = tf.div(g, tf.sum(g, -1, true));
          const dpDalpha = tf.sub(
            tf.div(tf.sub(y, skewed), tf.square(am1)),
            tf.div(tf.sub(yLogY, tf.mul(skewed, negEntropy)), am1),
          );
          const dAlpha = sumToShape(tf.sum(tf.mul(dy, dpDalpha), -1, true), alphaSaved.shape);
          return [dx, dAlpha];
        }),
    };
  });
  if (typeof alpha === 'number') {
    return tf.tidy(() => run(logits, tf.scalar(alpha)));
  }
  return run(logits, alpha);
}
