import * as tf from '@tensorflow/tfjs-core';
import { defineKernelContract } from './kernel-contract.js';

/**
 * Where the two members of each rotated pair sit in the head dimension.
 *
 * - `'half-split'`: pair i is (i, i + rotaryDim/2) — `rotate_half`, used by GPT-NeoX and by LLaMA,
 *   Mistral and Qwen in Hugging Face transformers (whose conversion scripts permute Meta's weights).
 * - `'interleaved'`: pair i is (2i, 2i + 1) — the original RoFormer (Su et al., eq. 15), GPT-J
 *   (`rotate_every_two`), Meta's reference LLaMA code (`view_as_complex`) and xPos/torchscale.
 *
 * Both compute the same function up to a fixed permutation of the head dimension. RoFormer:
 * https://arxiv.org/abs/2104.09864
 *
 * @example
 * ```ts
 * ropeKernel.run({ x, cos, sin }, { layout: 'interleaved', rotaryDim: 64 }); // GPT-J-style pairs
 * ```
 */
export type RopeLayout = 'half-split' | 'interleaved';

/**
 * Inputs of {@link ropeKernel} (RoFormer eq. 34: https://arxiv.org/abs/2104.09864).
 *
 * @example
 * ```ts
 * const angles = tf.outerProduct(tf.range(0, seq), inverseFrequencies); // [seq, rotaryDim / 2]
 * const inputs: RopeInputs = { x, cos: tf.cos(angles), sin: tf.sin(angles) };
 * ```
 */
export interface RopeInputs extends Record<string, tf.Tensor> {
  /** `[batch, heads, seq, headDim]`, float32, headDim even. */
  x: tf.Tensor;
  /** `[seq, rotaryDim / 2]`: `cos[p, i] = a·cos(θ_i·pos_p)` for pair i of row p (a: optional amplitude). */
  cos: tf.Tensor;
  /** `[seq, rotaryDim / 2]`: `sin[p, i] = a·sin(θ_i·pos_p)`, same amplitude as `cos`. */
  sin: tf.Tensor;
}

/**
 * Attributes of {@link ropeKernel}; a `rotaryDim` below headDim is GPT-NeoX's partial rotary
 * (https://arxiv.org/abs/2204.06745).
 *
 * @example
 * ```ts
 * const attrs: RopeAttrs = { layout: 'half-split', rotaryDim: 16 }; // rotate the first 16 of 64 dims
 * ```
 */
export interface RopeAttrs {
  layout: RopeLayout;
  /** Rotated dimensions (even, ≤ headDim); the last `headDim − rotaryDim` dimensions pass through. */
  rotaryDim: number;
}

/**
 * `EARope`: rotary position embedding of one tensor. For every row p and pair i with members (a, b):
 * `out_a = x_a·cos[p,i] − x_b·sin[p,i]`, `out_b = x_a·sin[p,i] + x_b·cos[p,i]`; dimensions past
 * `rotaryDim` are copied. Su et al. 2021, RoFormer, eq. 34: https://arxiv.org/abs/2104.09864
 *
 * The reference is built for the tfjs `wasm` backend, where strided slices, `reverse` and `gather` run as
 * slow JavaScript loops: it transposes the pair members to an outer axis, so that `[cos, sin]` become the
 * per-channel weights of one 3-tap depthwise convolution (XNNPACK), and transposes back — three fast
 * passes over x (the interleaved layout and partial half-split rotation transpose smaller contiguous
 * chunks and run about half as fast). Half-split with `headDim % rotaryDim ≠ 0` falls back to slicing the
 * rotary part out (slower on wasm).
 *
 * Training: one backward ({@link ropeBackward}) serves both paths. It is registered as the gradient of
 * `EARope`, so when a backend kernel runs, `tf.grad` differentiates through it: the input gradient is the
 * rotation by −θ (same tables, negated sin), run through `ropeKernel.run` — the same fast kernel; the
 * table gradients (two products and reductions over x) are computed only when a table is being
 * differentiated. The reference keeps a `customGrad` with the same backward, because its depthwise
 * convolution has no backprop kernels on tfjs-wasm (without a kernel registered, autodiff would fail there).
 *
 * @example
 * ```ts
 * const x = tf.randomNormal([1, 2, 16, 8]);
 * const angles = tf.outerProduct(tf.range(0, 16), tf.tensor1d([1, 0.1, 0.01, 0.001]));
 * const y = ropeKernel.run({ x, cos: tf.cos(angles), sin: tf.sin(angles) }, { layout: 'half-split', rotaryDim: 8 });
 * ```
 */
export const ropeKernel = defineKernelContract<RopeInputs, RopeAttrs>({
  name: 'EARope',
  inputNames: ['x', 'cos', 'sin'],
  reference: ({ x, cos, sin }, attrs) => {
    const differentiable = tf.customGrad((...args) => {
      const [xIn, cosIn, sinIn, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([xIn, cosIn, sinIn]);
      return {
        value: rotate(xIn, cosIn, sinIn, attrs.layout, attrs.rotaryDim),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          // customGrad asks for every input's gradient.
          const grads = ropeBackward(dy, saved, attrs);
          return [grads.x(), grads.cos(), grads.sin()];
        },
      };
    });
    return tf.tidy(() => differentiable(x, cos, sin));
  },
  gradient: {
    inputsToSave: ['x', 'cos', 'sin'],
    gradFunc: (dy, saved, attrs) => ropeBackward(dy as tf.Tensor, saved, attrs),
  },
});

/**
 * The backward of {@link ropeKernel}, one thunk per input (tfjs calls only those on the gradient path):
 * `dx` is the rotation of `dy` by −θ (the transpose of the rotation by θ: same tables, negated sin) through
 * `ropeKernel.run`, so it runs the backend's kernel when one is registered; `dCos`, `dSin` are the
 * closed-form table gradients summed over batch and heads.
 */
function ropeBackward(
  dy: tf.Tensor,
  [x, cos, sin]: tf.Tensor[],
  { layout, rotaryDim }: RopeAttrs,
): Record<'x' | 'cos' | 'sin', () => tf.Tensor> {
  return {
    x: () => tf.tidy(() => ropeKernel.run({ x: dy, cos: cos!, sin: tf.neg(sin!) }, { layout, rotaryDim })),
    cos: () => tableGradient('cos', x!, dy, layout, rotaryDim),
    sin: () => tableGradient('sin', x!, dy, layout, rotaryDim),
  };
}

/** x viewed as `[batch·heads, 2, seq·pairs]` (pair members on axis 1) and the inverse view. */
interface PairView {
  readonly pairs: number;
  toPairs(x: tf.Tensor): tf.Tensor3D;
  fromPairs(y: tf.Tensor): tf.Tensor;
}

function pairView(shape: number[], layout: RopeLayout, rotaryDim: number): PairView {
  const [b, h, n, d] = shape as [number, number, number, number];
  const pairs = d / 2;
  if (layout === 'interleaved') {
    return {
      pairs,
      toPairs: (x) =>
        tf.reshape(tf.transpose(tf.reshape(x, [b * h, n, pairs, 2]), [0, 3, 1, 2]), [b * h, 2, n * pairs]),
      fromPairs: (y) => tf.reshape(tf.transpose(tf.reshape(y, [b * h, 2, n, pairs]), [0, 2, 3, 1]), shape),
    };
  }
  // Half-split: the head dimension is `groups` blocks of rotaryDim; only block 0 rotates (the others get
  // identity tables), so pairs (i, i + rotaryDim/2) of every block line up on one axis.
  const groups = d / rotaryDim;
  const half = rotaryDim / 2;
  return {
    pairs,
    toPairs: (x) =>
      tf.reshape(tf.transpose(tf.reshape(x, [b * h, n, groups, 2, half]), [0, 3, 1, 2, 4]), [
        b * h,
        2,
        n * pairs,
      ]),
    fromPairs: (y) =>
      tf.reshape(tf.transpose(tf.reshape(y, [b * h, 2, n, groups, half]), [0, 2, 3, 1, 4]), shape),
  };
}

/** Whether the rotary part must be sliced out first (half-split with a rotaryDim that does not divide headDim). */
function needsSlice(headDim: number, layout: RopeLayout, rotaryDim: number): boolean {
  return layout === 'half-split' && headDim % rotaryDim !== 0;
}

function rotate(
  x: tf.Tensor,
  cos: tf.Tensor,
  sin: tf.Tensor,
  layout: RopeLayout,
  rotaryDim: number,
): tf.Tensor {
  return tf.tidy(() => {
    const headDim = x.shape[3]!;
    if (needsSlice(headDim, layout, rotaryDim)) {
      const rotary = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, rotaryDim]);
      const pass = tf.slice(x, [0, 0, 0, rotaryDim], [-1, -1, -1, headDim - rotaryDim]);
      return tf.concat([rotate(rotary, cos, sin, layout, rotaryDim), pass], 3);
    }
    const seq = x.shape[2]!;
    const view = pairView(x.shape, layout, rotaryDim);
    const identity = view.pairs - rotaryDim / 2;
    const c = identity > 0 ? tf.concat([cos, tf.ones([seq, identity])], 1) : cos;
    const s = identity > 0 ? tf.concat([sin, tf.zeros([seq, identity])], 1) : sin;
    // Channel j = (row, pair); its 3 taps over the padded pair [0, x_a, x_b, 0] give
    // out_a = c·x_a − s·x_b and out_b = s·x_a + c·x_b.
    const filter = tf.reshape(tf.stack([s, c, tf.neg(s)]), [1, 3, seq * view.pairs, 1]) as tf.Tensor4D;
    const pairs = view.toPairs(x);
    const [bh, , channels] = pairs.shape;
    const input = tf.reshape(pairs, [bh, 1, 2, channels]) as tf.Tensor4D;
    const rotated = view.fromPairs(tf.depthwiseConv2d(input, filter, 1, 'same'));
    if (identity === 0) return rotated;
    // NaN rule: the identity pairs computed 1·x_a − 0·x_b, and 0·(±∞) = NaN would reach the partner
    // dimension; dimensions ≥ rotaryDim pass through by a select instead.
    const pass = tf.greaterEqual(tf.range(0, headDim, 1, 'int32'), rotaryDim);
    return tf.where(pass, x, rotated);
  });
}

/** The gradient of the `cos` or `sin` table `[seq, rotaryDim / 2]`, summed over batch·heads. */
function tableGradient(
  table: 'cos' | 'sin',
  x: tf.Tensor,
  dy: tf.Tensor,
  layout: RopeLayout,
  rotaryDim: number,
): tf.Tensor {
  return tf.tidy(() => {
    const headDim = x.shape[3]!;
    if (needsSlice(headDim, layout, rotaryDim)) {
      const part = (t: tf.Tensor) => tf.slice(t, [0, 0, 0, 0], [-1, -1, -1, rotaryDim]);
      return tableGradient(table, part(x), part(dy), layout, rotaryDim);
    }
    const seq = x.shape[2]!;
    const view = pairView(x.shape, layout, rotaryDim);
    const [xa, xb] = tf.unstack(view.toPairs(x), 1) as [tf.Tensor, tf.Tensor];
    const [ga, gb] = tf.unstack(view.toPairs(dy), 1) as [tf.Tensor, tf.Tensor];
    // ∂out_a/∂c = x_a, ∂out_b/∂c = x_b; ∂out_a/∂s = −x_b, ∂out_b/∂s = x_a; summed over batch·heads.
    const d =
      table === 'cos'
        ? tf.sum(tf.add(tf.mul(ga, xa), tf.mul(gb, xb)), 0)
        : tf.sum(tf.sub(tf.mul(gb, xa), tf.mul(ga, xb)), 0);
    return tf.slice(tf.reshape(d, [seq, view.pairs]), [0, 0], [seq, rotaryDim / 2]);
  });
}
