import { assertKnownOptions, assertNumber, InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { fakeQuantizeActivations } from './activation-quantization.js';
import { rmsNorm } from './rms-norm.js';
import { assertFloat32Tensor } from './tensor-arguments.js';
import { fakeQuantizeWeights, type WeightBits, type WeightSte } from './weight-quantization.js';

/** Options of {@link bitLinear}. */
export interface BitLinearOptions {
  /** `1` (BitNet, binary) or `1.58` (BitNet b1.58, ternary). Default `1.58`. */
  weightBits?: WeightBits;
  /** Apply RMSNorm (SubLN) to x before quantising it. Default `true`. */
  normalize?: boolean;
  /** RMSNorm's learnable gain, float32 `[dIn]`. Default: none (gain 1). Ignored when `normalize` is false. */
  gain?: tf.Tensor;
  /** RMSNorm's ε. Default `1e-6`. */
  epsilon?: number;
  /** The weights' straight-through estimator (see {@link WeightSte}). Default `'identity'`. */
  ste?: WeightSte;
}

/** {@link BitLinearOptions} with defaults filled in and values checked. */
export interface ResolvedBitLinearOptions {
  weightBits: WeightBits;
  normalize: boolean;
  gain: tf.Tensor | undefined;
  epsilon: number;
  ste: WeightSte;
}

/**
 * Checks x `[..., dIn]` and the options of a BitLinear call, naming `fn` in errors, and fills defaults.
 * `keys` are the option names the caller accepts.
 */
export function resolveBitLinearOptions(
  fn: string,
  x: unknown,
  dIn: number,
  options: Partial<BitLinearOptions> | undefined,
  keys: readonly string[],
): ResolvedBitLinearOptions {
  assertFloat32Tensor(fn, 'x', x, { minRank: 2 });
  if (x.shape[x.rank - 1] !== dIn) {
    throw new InvalidArgumentError(fn, 'x.shape', `[..., ${dIn}] (the weights' input dimension)`, x.shape);
  }
  assertKnownOptions(fn, options, keys);
  const o = options ?? {};
  const weightBits = o.weightBits ?? 1.58;
  if (weightBits !== 1 && weightBits !== 1.58) {
    throw new InvalidArgumentError(fn, 'options.weightBits', '1 or 1.58', weightBits);
  }
  const normalize = o.normalize ?? true;
  if (typeof normalize !== 'boolean') {
    throw new InvalidArgumentError(fn, 'options.normalize', 'a boolean', normalize);
  }
  const epsilon = o.epsilon ?? 1e-6;
  assertNumber(fn, 'options.epsilon', epsilon, { positive: true });
  const ste = o.ste ?? 'identity';
  if (ste !== 'identity' && ste !== 'clipped') {
    throw new InvalidArgumentError(fn, 'options.ste', '"identity" or "clipped"', ste);
  }
  if (o.gain !== undefined) {
    assertFloat32Tensor(fn, 'options.gain', o.gain, { rank: 1 });
    if (o.gain.shape[0] !== dIn) {
      throw new InvalidArgumentError(fn, 'options.gain.shape', `[${dIn}] (x's last axis)`, o.gain.shape);
    }
  }
  return { weightBits, normalize, gain: o.gain, epsilon, ste };
}

/** RMSNorm with the resolved options, or x itself when `normalize` is false. */
export function normalizeInput(x: tf.Tensor, o: ResolvedBitLinearOptions): tf.Tensor {
  if (!o.normalize) return x;
  return rmsNorm(x, { epsilon: o.epsilon, ...(o.gain !== undefined ? { gain: o.gain } : {}) });
}

/** Applies `f` to x flattened to `[rows, d]` (2-D matMuls are wasm's XNNPACK path) and restores the shape. */
export function overRows(x: tf.Tensor, dOut: number, f: (rows: tf.Tensor2D) => tf.Tensor): tf.Tensor {
  const d = x.shape[x.rank - 1]!;
  const out = f(tf.reshape(x, [-1, d]) as tf.Tensor2D);
  return tf.reshape(out, [...x.shape.slice(0, -1), dOut]);
}

/**
 * BitLinear, the linear layer of BitNet (Wang et al. 2023, https://arxiv.org/abs/2310.11453) and BitNet
 * b1.58 (Ma et al. 2024, https://arxiv.org/abs/2402.17764), bias-free, in its training form:
 * `y = Q₈(RMSNorm(x)) · Q_w(W)`, where Q₈ is the per-token absmax int8 quantizer and Q_w the binary or
 * ternary weight quantizer, both dequantised, with straight-through gradients into x, the gain and the
 * latent float weights W. Use it for the q/k/v/o and FFN projections of a transformer.
 *
 * Shapes: x `[..., dIn]` (e.g. `[batch, seq, dIn]`), weight `[dIn, dOut]` → `[..., dOut]`. For inference
 * with packed 2-bit or 1.6-bit weights and the integer kernel, see {@link packBitLinearWeights} and
 * {@link bitLinearPacked} (the same function up to float rounding).
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.randomNormal([64, 128], 0, 0.05, 'float32', 1)); // latent weights [dIn, dOut]
 * const x = tf.randomNormal([2, 16, 64], 0, 1, 'float32', 2); // [batch, seq, dIn]
 * const y = bitLinear(x, w); // [2, 16, 128], ternary weights, int8 activations
 * ```
 */
export function bitLinear(x: tf.Tensor, weight: tf.Tensor, options: BitLinearOptions = {}): tf.Tensor {
  const fn = 'bitLinear';
  assertFloat32Tensor(fn, 'weight', weight, { rank: 2 });
  const [dIn, dOut] = weight.shape as [number, number];
  const o = resolveBitLinearOptions(fn, x, dIn, options, [
    'weightBits',
    'normalize',
    'gain',
    'epsilon',
    'ste',
  ]);
  return tf.tidy(() => {
    const wq = fakeQuantizeWeights(weight, { bits: o.weightBits, ste: o.ste });
    return overRows(normalizeInput(x, o), dOut, (rows) => tf.matMul(fakeQuantizeActivations(rows), wq));
  });
}
