import {
  assertKnownOptions,
  assertNumber,
  InvalidArgumentError,
  ternaryWordsPerRow,
} from '@efficient-attention/core';

/**
 * Weight storage formats: `fp32`, `fp16`, `int8` (one float32 scale per tensor), and the packed ternary
 * formats `i2s` (2 bits/weight) and `tq1` (1.6 bits/weight), each with one float32 scale per tensor.
 */
export type WeightFormat = 'fp32' | 'fp16' | 'int8' | 'i2s' | 'tq1';

/** Every {@link WeightFormat}, widest first. */
export const WEIGHT_FORMATS: readonly WeightFormat[] = Object.freeze(['fp32', 'fp16', 'int8', 'i2s', 'tq1']);

/** Nominal bits per weight of each format (before padding and scales). */
export const NOMINAL_BITS_PER_WEIGHT: Readonly<Record<WeightFormat, number>> = Object.freeze({
  fp32: 32,
  fp16: 16,
  int8: 8,
  i2s: 2,
  tq1: 1.6,
});

/** Bytes of the per-tensor float32 scale that int8 and the ternary formats carry. */
const SCALE_BYTES = 4;

/** Options of {@link weightBytes}. */
export interface WeightBytesOptions {
  /** Weights per packed row (packed formats start every row on a 32-bit word). Default: all weights, one row. */
  rowLength?: number;
}

function assertFormat(fn: string, parameter: string, format: unknown): asserts format is WeightFormat {
  if (!WEIGHT_FORMATS.includes(format as WeightFormat)) {
    throw new InvalidArgumentError(fn, parameter, `one of ${WEIGHT_FORMATS.join(', ')}`, format);
  }
}

/**
 * Bytes that `numWeights` weights take in `format`, scales and row padding included: 4·n (fp32), 2·n
 * (fp16), n + 4 (int8), and for the packed formats rows · ternaryWordsPerRow(rowLength) · 4 + 4 — exactly
 * the size of {@link packTernary}'s words plus the scale. BitNet b1.58, https://arxiv.org/abs/2402.17764.
 *
 * @example
 * ```ts
 * weightBytes(2048 * 2048, 'fp32'); // 16777216
 * weightBytes(2048 * 2048, 'i2s', { rowLength: 2048 }); // 1048580 (16.0× smaller)
 * weightBytes(2048 * 2048, 'tq1', { rowLength: 2048 }); // 843780 (19.9× smaller: 410-byte rows padded to 412)
 * ```
 */
export function weightBytes(
  numWeights: number,
  format: WeightFormat,
  options: WeightBytesOptions = {},
): number {
  const fn = 'weightBytes';
  assertNumber(fn, 'numWeights', numWeights, { integer: true, min: 0 });
  assertFormat(fn, 'format', format);
  assertKnownOptions(fn, options, ['rowLength']);
  if (numWeights === 0) return 0;
  switch (format) {
    case 'fp32':
      return 4 * numWeights;
    case 'fp16':
      return 2 * numWeights;
    case 'int8':
      return numWeights + SCALE_BYTES;
    default: {
      const rowLength = options.rowLength ?? numWeights;
      assertNumber(fn, 'options.rowLength', rowLength, { integer: true, min: 1 });
      if (numWeights % rowLength !== 0) {
        throw new InvalidArgumentError(
          fn,
          'numWeights',
          `a multiple of options.rowLength (${rowLength})`,
          numWeights,
        );
      }
      return (numWeights / rowLength) * ternaryWordsPerRow(rowLength, format) * 4 + SCALE_BYTES;
    }
  }
}

/** One weight tensor of a model, for {@link modelSizeReport}. */
export interface LayerWeights {
  name: string;
  /**
   * The tensor's shape. A BitLinear weight `[dIn, dOut]` packs as dOut rows of dIn weights (as
   * {@link packBitLinearWeights} does); other ranks pack as one row.
   */
  shape: readonly number[];
}

/** Sizes of one tensor or of the whole model, per format. */
export interface SizeRow {
  name: string;
  numWeights: number;
  bytes: Record<WeightFormat, number>;
}

/** The result of {@link modelSizeReport}. */
export interface ModelSizeReport {
  layers: SizeRow[];
  total: SizeRow;
  /** Effective bits per weight of the whole model (padding and scales included). */
  bitsPerWeight: Record<WeightFormat, number>;
  /** fp32 bytes / bytes: how many times smaller than float32. */
  compressionVsFp32: Record<WeightFormat, number>;
}

/**
 * Model size in every {@link WeightFormat}: per tensor, total, effective bits per weight and compression
 * against float32 (BitNet b1.58's memory argument, https://arxiv.org/abs/2402.17764, Table 1–2).
 *
 * @example
 * ```ts
 * const report = modelSizeReport([
 *   { name: 'q_proj', shape: [2048, 2048] },
 *   { name: 'ffn_up', shape: [2048, 5632] },
 * ]);
 * report.compressionVsFp32.i2s; // ≈ 16
 * ```
 */
export function modelSizeReport(layers: readonly LayerWeights[]): ModelSizeReport {
  const fn = 'modelSizeReport';
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new InvalidArgumentError(fn, 'layers', 'a non-empty array of { name, shape }', layers);
  }
  const rows = layers.map((layer, i) => {
    if (
      layer === null ||
      typeof layer !== 'object' ||
      typeof layer.name !== 'string' ||
      !Array.isArray(layer.shape)
    ) {
      throw new InvalidArgumentError(
        fn,
        `layers[${i}]`,
        'an object { name: string, shape: number[] }',
        layer,
      );
    }
    const shape: readonly number[] = layer.shape;
    shape.forEach((s, j) => {
      assertNumber(fn, `layers[${i}].shape[${j}]`, s, { integer: true, min: 1 });
    });
    const numWeights = shape.reduce((a, b) => a * b, 1);
    const rowLength = shape.length === 2 ? shape[0]! : numWeights;
    const bytes = Object.fromEntries(
      WEIGHT_FORMATS.map((f) => [f, weightBytes(numWeights, f, { rowLength })]),
    ) as Record<WeightFormat, number>;
    return { name: layer.name, numWeights, bytes };
  });
  const numWeights = rows.reduce((a, r) => a + r.numWeights, 0);
  const perFormat = (f: (format: WeightFormat) => number) =>
    Object.fromEntries(WEIGHT_FORMATS.map((format) => [format, f(format)])) as Record<WeightFormat, number>;
  const total = {
    name: 'total',
    numWeights,
    bytes: perFormat((f) => rows.reduce((a, r) => a + r.bytes[f], 0)),
  };
  return {
    layers: rows,
    total,
    bitsPerWeight: perFormat((f) => (8 * total.bytes[f]) / numWeights),
    compressionVsFp32: perFormat((f) => total.bytes.fp32 / total.bytes[f]),
  };
}
