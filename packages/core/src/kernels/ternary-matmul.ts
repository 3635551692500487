import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { assertNumber } from '../validation.js';
import { defineKernelContract, isTapeRecording } from './kernel-contract.js';

/**
 * How ternary weights t ∈ {−1, 0, +1} are packed into 32-bit words (int32 tensors, since tfjs has no
 * uint8/uint32 dtype).
 *
 * - `'i2s'` (2 bits/weight, after bitnet.cpp's I2_S): code = t + 1 (0 → −1, 1 → 0, 2 → +1); weight `j` of a
 *   row sits in bits `2·(j mod 16)` of word `⌊j / 16⌋`. Code 3 never comes out of a packer; kernels and the
 *   reference both read it as t = 2.
 * - `'tq1'` (1.6 bits/weight): 5 weights per byte in base 3, byte = Σᵢ (tᵢ + 1)·3ⁱ for i = 0..4 (first weight
 *   least significant; 3⁵ = 243 ≤ 256), byte `b` of a row in bits `8·(b mod 4)` of word `⌊b / 4⌋`. Bytes
 *   243–255 never come out of a packer; they decode as their value − 243. (llama.cpp's TQ1_0 uses another
 *   digit order and block layout: the two are not interchangeable.)
 *
 * Each of the N rows (one per output column, K weights each) starts on a fresh word. Packers fill the padding
 * with t = 0; kernels ignore it.
 */
export type TernaryPackingFormat = 'i2s' | 'tq1';

/** The packing formats, in the order of {@link TernaryPackingFormat}. */
export const TERNARY_PACKING_FORMATS: readonly TernaryPackingFormat[] = Object.freeze(['i2s', 'tq1']);

/**
 * Number of int32 words one packed row of `k` ternary weights takes: ⌈k/16⌉ for `'i2s'`, ⌈⌈k/5⌉/4⌉ for
 * `'tq1'`. Paper: BitNet b1.58, https://arxiv.org/abs/2402.17764; layout after bitnet.cpp,
 * https://arxiv.org/abs/2410.16144.
 *
 * @example
 * ```ts
 * ternaryWordsPerRow(2048, 'i2s'); // 128 (2 bits/weight)
 * ternaryWordsPerRow(2048, 'tq1'); // 103 (410 bytes, 1.6 bits/weight plus padding)
 * ```
 */
export function ternaryWordsPerRow(k: number, format: TernaryPackingFormat): number {
  assertNumber('ternaryWordsPerRow', 'k', k, { integer: true, min: 1 });
  assertTernaryFormat('ternaryWordsPerRow', 'format', format);
  return format === 'i2s' ? Math.ceil(k / 16) : Math.ceil(Math.ceil(k / 5) / 4);
}

/** Inputs of {@link ternaryMatMulKernel}. */
export interface TernaryMatMulInputs extends Record<string, tf.Tensor> {
  /**
   * Quantised activations, int32 `[M, K]` holding int8 values in [−128, 127] (tfjs has no int8 dtype;
   * int32 keeps integer arithmetic exact, see {@link ternaryMatMul}).
   */
  activations: tf.Tensor;
  /** Packed ternary weights, int32 `[N, ternaryWordsPerRow(K, format)]`: row n holds column n of W `[K, N]`. */
  weights: tf.Tensor;
  /** Per-tensor weight scale β (W ≈ β·t), a float32 scalar. */
  weightScale: tf.Tensor;
  /**
   * Per-token activation scales (x[m] ≈ activationScales[m]·activations[m]), float32 `[M, 1]` — the shape
   * `quantizeActivations` returns, which also broadcasts against `[M, K]` — or `[M]`. {@link ternaryMatMul}
   * accepts both and hands kernels `[M]` (the kernel ABI: M floats, one per row); other shapes, such as
   * `[1, M]`, are rejected.
   */
  activationScales: tf.Tensor;
}

/** Attributes of {@link ternaryMatMulKernel}. */
export interface TernaryMatMulAttrs {
  /** K: the inner dimension (weights per packed row). */
  k: number;
  /** N: the number of output columns (packed rows). */
  n: number;
  /** How `weights` is packed. */
  format: TernaryPackingFormat;
}

const FN = 'ternaryMatMul';

/**
 * Largest K for which the reference is exact: its float32 matMul adds integers of magnitude ≤ 128·K, exact
 * below 2²⁴ whatever the summation order. (Integer kernels are exact up to 2³¹ / 128.)
 */
const MAX_EXACT_K = 2 ** 24 / 128;

/**
 * `EATernaryMatMul`: dequantised int8 × packed-ternary matrix product. See {@link ternaryMatMul}; its
 * gradient is {@link ternaryMatMulGradient}.
 */
export const ternaryMatMulKernel = defineKernelContract<TernaryMatMulInputs, TernaryMatMulAttrs>({
  name: 'EATernaryMatMul',
  inputNames: ['activations', 'weights', 'weightScale', 'activationScales'],
  reference: (inputs, attrs) => ternaryMatMulReference(inputs, attrs),
  gradient: {
    inputsToSave: ['activations', 'weights', 'weightScale', 'activationScales'],
    gradFunc: (dy, saved, attrs) => ternaryMatMulGradient(dy as tf.Tensor, saved, attrs),
  },
});

/**
 * The gradient of `EATernaryMatMul`, `out = diag(s)·A·T·β` (A the int8 codes `[M, K]`, T the ternary matrix
 * `[K, N]`, s the activation scales, β the weight scale), one thunk per input (tfjs calls only those on the
 * gradient path):
 *
 * - `activations`: `dA = diag(s)·dy·(β·T)ᵀ` — dy times the dequantised weights, transposed, times the
 *   scales. Composed with BitNet's identity straight-through estimator for the quantiser
 *   (`a = round(x / s)`, `∂a/∂x := 1/s`, scales detached; see `@efficient-attention/bitnet`), it gives
 *   `dx = dy·(β·T)ᵀ`, the STE gradient of BitLinear (Ma et al. 2024, https://arxiv.org/abs/2402.17764). No
 *   kernel computes the transposed product: it is tfjs ops — the packed rows decoded once to `[N, K]`
 *   (rows of the packing are columns of W, so Tᵀ needs no transpose) and one 2-D `matMul` (XNNPACK on wasm);
 * - `weights`: zeros. Packed ternary codes are not differentiable (train the float latent weights instead);
 *   tfjs asks a float32 gradient of an int32 input's shape when one is on the path;
 * - `weightScale`: `Σ dy ⊙ diag(s)·A·T`; `activationScales`: `β·rowsum(dy ⊙ A·T)` — both from one more
 *   kernel run with unit scales (`A·T`, exact integers).
 */
function ternaryMatMulGradient(
  dy: tf.Tensor,
  [activations, weights, weightScale, activationScales]: tf.Tensor[],
  attrs: TernaryMatMulAttrs,
): Record<keyof TernaryMatMulInputs & string, () => tf.Tensor> {
  const a = activations!;
  const w = weights!;
  const beta = weightScale!;
  const scales = activationScales!;
  const m = a.shape[0]!;
  const rowScales = () => tf.reshape(scales, [m, 1]);
  // A·T [M, N] (integers, exact), through the kernel with unit scales.
  const integerProduct = () =>
    ternaryMatMulKernel.run(
      { activations: a, weights: w, weightScale: tf.scalar(1), activationScales: tf.ones([m]) },
      attrs,
    );
  return {
    activations: () => {
      const dequantised = tf.matMul(dy, unpackTernaryRows(w, attrs)); // dy·Tᵀ [M, K]
      return tf.mul(tf.mul(dequantised, rowScales()), beta);
    },
    weights: () => tf.zeros(w.shape, 'float32'),
    weightScale: () => tf.sum(tf.mul(tf.mul(dy, integerProduct()), rowScales())),
    activationScales: () => tf.reshape(tf.mul(tf.sum(tf.mul(dy, integerProduct()), 1), beta), scales.shape),
  };
}

/** The packed rows decoded to float32 `[N, K]` ternary values (row n = column n of W). */
function unpackTernaryRows(weights: tf.Tensor, attrs: TernaryMatMulAttrs): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, words] = weights.shape as [number, number];
    const perWord = attrs.format === 'i2s' ? 16 : 20;
    // Field j holds position perWord·q + j of every row: interleave them back along the row.
    const all = tf.reshape(tf.stack(ternaryFields(weights, attrs.format), 2), [n, words * perWord]);
    return (words * perWord === attrs.k ? all : tf.slice(all, [0, 0], [n, attrs.k])) as tf.Tensor2D;
  });
}

/**
 * Multiplies int8 activations by packed ternary weights and dequantises:
 * `out[m, n] = (Σₖ activations[m, k] · t[k, n]) · activationScales[m] · weightScale`, float32 `[M, N]`, with
 * t the ternary matrix `[K, N]` unpacked from `weights` (see {@link TernaryPackingFormat}). This is the
 * BitLinear product of BitNet b1.58 (Ma et al. 2024, https://arxiv.org/abs/2402.17764) with the
 * activation quantisation of BitNet (Wang et al. 2023, https://arxiv.org/abs/2310.11453).
 *
 * Validates, then runs the kernel registered for the active backend (e.g. `@efficient-attention/bitnet`'s
 * multiplication-free typed-array kernel on `cpu`, after `registerBitnetKernels()`), else the reference:
 * decode each position within a word with tfjs ops (bitwiseAnd, mod), multiply it by the matching
 * activations with a 2-D `matMul`, sum, scale. The integer sum is exact in both for packer-produced codes
 * (K ≤ 131072), and the two scalings are applied in this order, so kernels can match the reference bit for
 * bit.
 * Training: the gradient is registered for `EATernaryMatMul` (see `ternaryMatMulKernel`): the activations get
 * `diag(s)·dy·(β·T)ᵀ`, the scales their exact gradients, the packed weights none — train the float latent
 * weights through BitLinear's straight-through estimator, and use packed weights for inference or for frozen
 * layers that pass gradients to earlier ones.
 *
 * @example
 * ```ts
 * // x = [3, −2] with scale 0.5; W = [[1, 0], [−1, 1]] is packed by columns in 'i2s' (code = t + 1, two
 * // bits per weight): column 0 = (1, −1) → 2 | 0 << 2 = 2, column 1 = (0, 1) → 1 | 2 << 2 = 9.
 * const out = ternaryMatMul(
 *   {
 *     activations: tf.tensor2d([[3, -2]], [1, 2], 'int32'),
 *     weights: tf.tensor2d([[2], [9]], [2, 1], 'int32'),
 *     weightScale: tf.scalar(2),
 *     activationScales: tf.tensor1d([0.5]),
 *   },
 *   { k: 2, n: 2, format: 'i2s' },
 * ); // [[(3·1 + −2·−1)·0.5·2, (−2·1)·0.5·2]] = [[5, −2]]
 * ```
 */
export function ternaryMatMul(inputs: TernaryMatMulInputs, attrs: TernaryMatMulAttrs): tf.Tensor2D {
  validateTernaryMatMul(inputs, attrs);
  const scales = inputs.activationScales;
  if (scales.rank === 1) return ternaryMatMulKernel.run(inputs, attrs) as tf.Tensor2D;
  // [M, 1] → [M]: kernels read M floats and some (webgl) index them by row alone.
  return tf.tidy(
    () =>
      ternaryMatMulKernel.run(
        { ...inputs, activationScales: tf.reshape(scales, [scales.shape[0]!]) },
        attrs,
      ) as tf.Tensor2D,
  );
}

function assertTernaryFormat(fn: string, parameter: string, format: unknown): void {
  if (!TERNARY_PACKING_FORMATS.includes(format as TernaryPackingFormat)) {
    throw new InvalidArgumentError(fn, parameter, `one of ${TERNARY_PACKING_FORMATS.join(', ')}`, format);
  }
}

function assertTensor(name: string, x: unknown, dtype: 'int32' | 'float32', shape: number[]): void {
  const t = x as tf.Tensor | null | undefined;
  const describe = `a ${dtype} tensor of shape [${shape.join(', ')}]`;
  if (t === null || typeof t !== 'object' || !Array.isArray(t.shape)) {
    throw new InvalidArgumentError(FN, name, describe, x);
  }
  if (t.dtype !== dtype) throw new InvalidArgumentError(FN, `${name}.dtype`, `"${dtype}"`, t.dtype);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new InvalidArgumentError(FN, `${name}.shape`, `[${shape.join(', ')}]`, t.shape);
  }
}

function validateTernaryMatMul(inputs: TernaryMatMulInputs, attrs: TernaryMatMulAttrs): void {
  if (attrs === null || typeof attrs !== 'object') {
    throw new InvalidArgumentError(FN, 'attrs', 'an object { k, n, format }', attrs);
  }
  for (const key of Object.keys(attrs)) {
    if (!['k', 'n', 'format'].includes(key)) {
      throw new InvalidArgumentError(FN, `attrs.${key}`, 'one of the known attributes (k, n, format)', key);
    }
  }
  assertNumber(FN, 'attrs.k', attrs.k, { integer: true, min: 1, max: MAX_EXACT_K });
  assertNumber(FN, 'attrs.n', attrs.n, { integer: true, min: 1 });
  assertTernaryFormat(FN, 'attrs.format', attrs.format);
  if (inputs === null || typeof inputs !== 'object') {
    throw new InvalidArgumentError(
      FN,
      'inputs',
      'an object { activations, weights, weightScale, activationScales }',
      inputs,
    );
  }
  const a = inputs.activations as tf.Tensor | null | undefined;
  if (a === undefined || a === null || !Array.isArray(a.shape) || a.shape.length !== 2) {
    throw new InvalidArgumentError(FN, 'activations', 'an int32 tensor [M, K]', a);
  }
  const m = a.shape[0]!;
  assertTensor('activations', a, 'int32', [m, attrs.k]);
  assertTensor('weights', inputs.weights, 'int32', [attrs.n, ternaryWordsPerRow(attrs.k, attrs.format)]);
  assertTensor('weightScale', inputs.weightScale, 'float32', []);
  const scales = inputs.activationScales as tf.Tensor | null | undefined;
  // [M, 1] (quantizeActivations' per-token column) or [M]; a row [1, M] would read as per-column scales.
  const column = scales !== null && typeof scales === 'object' && scales.rank === 2;
  if (column && (scales.shape[0] !== m || scales.shape[1] !== 1)) {
    throw new InvalidArgumentError(
      FN,
      'activationScales.shape',
      `[${m}] or [${m}, 1] (one scale per activation row)`,
      scales.shape,
    );
  }
  assertTensor('activationScales', scales, 'float32', column ? [m, 1] : [m]);
}

/**
 * The field of every packed word selected by `mask`, shifted down by `shift` bits, as float32 `[N, words]`.
 * The masked int32 has at most 8 significant bits, so its float32 cast is exact, and so is the scaling by a
 * power of two. Only the field holding bit 31 can come out negative (the int32 sign): add 2^bits back.
 * (Only fast elementwise ops: tfjs's `mod` and `floorDiv` are about 20–50× slower than `mul` on wasm.)
 */
function wordField(words: tf.Tensor, mask: number, shift: number, bits: number): tf.Tensor {
  const masked = tf.bitwiseAnd(words, tf.fill(words.shape, mask | 0, 'int32'));
  const value = tf.mul(tf.cast(masked, 'float32'), 2 ** -shift);
  return shift + bits === 32 ? tf.where(tf.less(value, 0), tf.add(value, 2 ** bits), value) : value;
}

/**
 * The ternary values of the weight rows at positions `perWord·q + j` (q = word index), one float32 `[N,
 * words]` tensor per position j within a word: each of the 4 bytes of a word holds 4 base-4 digits (i2s,
 * 2-bit codes) or 5 base-3 digits (tq1), and t = digit − 1. Bytes are isolated with `bitwiseAnd` (4 calls:
 * it is the slowest op here), digits with `floor`: f[i] = ⌊byte / radixⁱ⌋ is computed as
 * ⌊(byte + ½)·radix⁻ⁱ⌋, whose exact value lies at least 1/486 from an integer — far more than the rounding
 * of one multiplication — and digit i = f[i] − radix·f[i + 1].
 */
function ternaryFields(words: tf.Tensor, format: TernaryPackingFormat): tf.Tensor[] {
  const [radix, digits] = format === 'i2s' ? [4, 4] : [3, 5];
  const fields: tf.Tensor[] = [];
  for (let b = 0; b < 4; b++) {
    const byte = wordField(words, 255 << (8 * b), 8 * b, 8);
    const half = tf.add(byte, 0.5);
    const f = [byte];
    for (let i = 1; i <= digits; i++) f.push(tf.floor(tf.mul(half, radix ** -i)));
    for (let i = 0; i < digits; i++) fields.push(tf.sub(tf.sub(f[i]!, tf.mul(f[i + 1]!, radix)), 1));
  }
  return fields;
}

/**
 * {@link ternaryFields}, with a zero gradient for the packed words while a gradient tape records: tfjs has no
 * gradients for the bitwise and comparison ops that decode them, and a tape that reaches int32 weights (say
 * a `tf.variable` of packed words among an optimizer's variables) must not break — the packed weights get no
 * gradient, as with the registered gradient. (Off the tape the fields are returned as they are.)
 */
function decodedFields(words: tf.Tensor, format: TernaryPackingFormat): tf.Tensor[] {
  if (!isTapeRecording()) return ternaryFields(words, format);
  const stacked = tf.customGrad((w) => ({
    value: tf.stack(ternaryFields(w as tf.Tensor, format)),
    gradFunc: () => tf.zeros((w as tf.Tensor).shape, 'float32'),
  }));
  return tf.unstack(stacked(words));
}

/**
 * The reference in tfjs ops, without materialising the unpacked `[K, N]` matrix: for each position j within
 * a word, the decoded `[N, words]` values times the activations at positions `perWord·q + j` (a 2-D matMul
 * with no transpose flags, the XNNPACK path on wasm), summed. Activations are zero-padded to whole words,
 * so padding codes never count.
 */
function ternaryMatMulReference(inputs: TernaryMatMulInputs, attrs: TernaryMatMulAttrs): tf.Tensor2D {
  return tf.tidy(() => {
    const m = inputs.activations.shape[0]!;
    const words = inputs.weights.shape[1]!;
    const perWord = attrs.format === 'i2s' ? 16 : 20;
    const x = tf.pad(tf.cast(inputs.activations, 'float32'), [
      [0, 0],
      [0, words * perWord - attrs.k],
    ]);
    // xByPosition[j] is [words, M]: row q holds activation column perWord·q + j.
    const xByPosition = tf.unstack(tf.transpose(tf.reshape(x, [m, words, perWord]), [2, 1, 0]));
    const partial = decodedFields(inputs.weights, attrs.format).map((t, j) => tf.matMul(t, xByPosition[j]!));
    const acc = tf.transpose(tf.addN(partial)); // [M, N], exact integers (|sums| < 2^24)
    return tf.mul(
      tf.mul(acc, tf.reshape(inputs.activationScales, [m, 1])),
      inputs.weightScale,
    ) as tf.Tensor2D;
  });
}
