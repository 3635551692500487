import {
  assertKnownOptions,
  InvalidArgumentError,
  isTapeRecording,
  TERNARY_PACKING_FORMATS,
  type TernaryPackingFormat,
  ternaryMatMul,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { type QuantizedActivations, quantizeActivations } from './activation-quantization.js';
import { type BitLinearOptions, normalizeInput, overRows, resolveBitLinearOptions } from './bit-linear.js';
import { assertFloat32Tensor } from './tensor-arguments.js';
import { packTernary } from './ternary-packing.js';
import { quantizeWeights, type WeightBits } from './weight-quantization.js';

/** BitLinear weights packed for inference: the `weights` and `weightScale` inputs of `EATernaryMatMul`. */
export interface PackedBitLinearWeights {
  /** `'i2s'` (2 bits/weight) or `'tq1'` (1.6 bits/weight). */
  readonly format: TernaryPackingFormat;
  /** The quantizer the weights went through (binary weights pack as ternary values). */
  readonly weightBits: WeightBits;
  /** dIn (K). */
  readonly inFeatures: number;
  /** dOut (N). */
  readonly outFeatures: number;
  /** int32 `[dOut, ternaryWordsPerRow(dIn, format)]`. */
  readonly weights: tf.Tensor2D;
  /** float32 scalar: the per-tensor weight scale. */
  readonly scale: tf.Scalar;
  /** Frees `weights` and `scale`. */
  dispose(): void;
}

/** Options of {@link packBitLinearWeights}. */
export interface PackBitLinearWeightsOptions {
  /** The weight quantizer: `1` (binary) or `1.58` (ternary). Default `1.58`. */
  weightBits?: WeightBits;
  /** The packing. Default `'i2s'`. */
  format?: TernaryPackingFormat;
}

/**
 * Quantizes latent BitLinear weights `[dIn, dOut]` once (binary or ternary, BitNet / BitNet b1.58,
 * https://arxiv.org/abs/2402.17764) and packs them by output column at 2 bits (`'i2s'`) or 1.6 bits
 * (`'tq1'`) per weight — 16× and 20× smaller than float32. Reads the weights back once; throws on non-finite
 * weights. Dispose the result when done.
 *
 * @example
 * ```ts
 * const packed = packBitLinearWeights(w, { format: 'tq1' }); // w: [dIn, dOut]
 * const y = bitLinearPacked(x, packed);
 * packed.dispose();
 * ```
 */
export function packBitLinearWeights(
  weight: tf.Tensor,
  options: PackBitLinearWeightsOptions = {},
): PackedBitLinearWeights {
  const fn = 'packBitLinearWeights';
  assertFloat32Tensor(fn, 'weight', weight, { rank: 2 });
  assertKnownOptions(fn, options, ['weightBits', 'format']);
  const weightBits = options.weightBits ?? 1.58;
  if (weightBits !== 1 && weightBits !== 1.58) {
    throw new InvalidArgumentError(fn, 'options.weightBits', '1 or 1.58', weightBits);
  }
  const format = options.format ?? 'i2s';
  if (!TERNARY_PACKING_FORMATS.includes(format)) {
    throw new InvalidArgumentError(
      fn,
      'options.format',
      `one of ${TERNARY_PACKING_FORMATS.join(', ')}`,
      format,
    );
  }
  const [dIn, dOut] = weight.shape as [number, number];
  const { values, scale } = quantizeWeights(weight, { bits: weightBits });
  // Rows of the packing are columns of W: transpose [dIn, dOut] → [dOut, dIn].
  const columns = tf.tidy(() => tf.transpose(values));
  const packed = packTernary(columns.dataSync(), format, { rowLength: dIn });
  tf.dispose([values, columns]);
  const weights = tf.tensor2d(packed.words, [dOut, packed.words.length / dOut], 'int32');
  return {
    format,
    weightBits,
    inFeatures: dIn,
    outFeatures: dOut,
    weights,
    scale,
    dispose: () => tf.dispose([weights, scale]),
  };
}

/** Options of {@link bitLinearPacked}: the activation side of {@link BitLinearOptions}. */
export type BitLinearPackedOptions = Pick<BitLinearOptions, 'normalize' | 'gain' | 'epsilon'>;

/**
 * BitLinear inference with packed weights: RMSNorm, per-token absmax int8 quantisation, then core's
 * `ternaryMatMul` (`EATernaryMatMul`: the multiplication-free typed-array kernel on `cpu` after
 * `registerBitnetKernels()`, else the dequantise-and-`matMul` reference) — BitNet b1.58's inference path
 * (https://arxiv.org/abs/2402.17764). Equals {@link bitLinear} with the same weights and options up to
 * float32 rounding.
 *
 * Gradients: the packed weights are frozen (no gradient); x and the RMSNorm gain get {@link bitLinear}'s
 * straight-through gradients (up to float32 rounding), so layers before a packed one can train. Under a
 * gradient tape the int8 codes carry the identity STE of the dequantised activations (`∂a/∂x := 1/s`) and
 * the per-token scales are detached, as the BitNet b1.58 code's `x + (quant(x) − x).detach()`; the kernel's
 * registered gradient gives the codes `s·dy·(β·T)ᵀ`, so x receives `dy·(β·T)ᵀ` (then RMSNorm's backward).
 *
 * Shapes: x `[..., dIn]` → `[..., dOut]`.
 *
 * @example
 * ```ts
 * registerBitnetKernels();
 * const packed = packBitLinearWeights(w); // [dIn, dOut] → 2 bits per weight
 * const y = bitLinearPacked(tf.randomNormal([1, 8, w.shape[0]]), packed); // [1, 8, dOut]
 * ```
 */
export function bitLinearPacked(
  x: tf.Tensor,
  packed: PackedBitLinearWeights,
  options: BitLinearPackedOptions = {},
): tf.Tensor {
  const fn = 'bitLinearPacked';
  if (packed === null || typeof packed !== 'object' || !(packed.weights instanceof tf.Tensor)) {
    throw new InvalidArgumentError(fn, 'packed', 'the result of packBitLinearWeights', packed);
  }
  if (packed.weights.isDisposed) {
    throw new InvalidArgumentError(fn, 'packed', 'packed weights that are not disposed', 'disposed weights');
  }
  const o = resolveBitLinearOptions(fn, x, packed.inFeatures, options, ['normalize', 'gain', 'epsilon']);
  return tf.tidy(() =>
    overRows(normalizeInput(x, o), packed.outFeatures, (rows) => {
      const { values, scales } = isTapeRecording() ? quantizeActivationsSte(rows) : quantizeActivations(rows);
      return ternaryMatMul(
        {
          activations: values,
          weights: packed.weights,
          weightScale: packed.scale,
          activationScales: scales, // [rows, 1], as quantizeActivations returns it
        },
        { k: packed.inFeatures, n: packed.outFeatures, format: packed.format },
      );
    }),
  );
}

/**
 * {@link quantizeActivations} for training through packed weights, BitNet's identity straight-through
 * estimator (Wang et al. 2023, https://arxiv.org/abs/2310.11453; the `x + (quant(x) − x).detach()` of the
 * BitNet b1.58 code): x ≈ s·a, so the codes a pass their gradient back as `∂a/∂x := 1/s` (rounding and
 * clamping treated as identity), and the scales s are detached (zero gradient), so x's gradient is the
 * dequantised activations' gradient. Two `customGrad`s: tfjs's ops give round a zero gradient and would send
 * one through the absmax of the scales.
 */
function quantizeActivationsSte(rows: tf.Tensor): QuantizedActivations {
  const codes = tf.customGrad((...args) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const { values, scales } = quantizeActivations(x);
    save([scales]);
    return {
      value: values,
      gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.div(dy, s!),
    };
  });
  const detachedScales = tf.customGrad((x) => {
    const { values, scales } = quantizeActivations(x as tf.Tensor);
    values.dispose();
    return { value: scales, gradFunc: () => tf.zerosLike(x as tf.Tensor) };
  });
  return { values: codes(rows), scales: detachedScales(rows) };
}
