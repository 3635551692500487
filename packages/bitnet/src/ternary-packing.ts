import {
  assertKnownOptions,
  assertNumber,
  InvalidArgumentError,
  TERNARY_PACKING_FORMATS,
  type TernaryPackingFormat,
  ternaryWordsPerRow,
} from '@efficient-attention/core';

/** Ternary values packed into 32-bit words, row by row (the layout `EATernaryMatMul` reads). */
export interface PackedTernary {
  /** `'i2s'` (2 bits/weight) or `'tq1'` (1.6 bits/weight); see core's `TernaryPackingFormat`. */
  readonly format: TernaryPackingFormat;
  /** Number of ternary values. */
  readonly length: number;
  /** Values per row; each row starts on a fresh word. */
  readonly rowLength: number;
  /** `(length / rowLength) · ternaryWordsPerRow(rowLength, format)` words. */
  readonly words: Int32Array;
}

/** Options of {@link packTernary}. */
export interface PackTernaryOptions {
  /** Values per row (each row starts on a fresh 32-bit word). Must divide the length. Default: the length. */
  rowLength?: number;
}

/** 3⁰..3⁴: the weights of a tq1 byte's base-3 digits. */
const TRIT_WEIGHTS = [1, 3, 9, 27, 81] as const;

function assertFormat(fn: string, format: unknown): asserts format is TernaryPackingFormat {
  if (!TERNARY_PACKING_FORMATS.includes(format as TernaryPackingFormat)) {
    throw new InvalidArgumentError(fn, 'format', `one of ${TERNARY_PACKING_FORMATS.join(', ')}`, format);
  }
}

/**
 * Packs ternary values {−1, 0, +1} at 2 bits (`'i2s'`, bitnet.cpp's I2_S code t + 1, 16 per word) or 1.6
 * bits per value (`'tq1'`, 5 base-3 digits per byte, 4 bytes per word), row by row; padding encodes 0. The
 * per-tensor scale is kept separately (BitNet b1.58, https://arxiv.org/abs/2402.17764; bitnet.cpp,
 * https://arxiv.org/abs/2410.16144). {@link unpackTernary} inverts it exactly.
 *
 * @example
 * ```ts
 * const packed = packTernary([1, 0, -1, 1, 1], 'tq1');
 * // digits t + 1 = (2, 1, 0, 2, 2): byte 0 = 2 + 1·3 + 0·9 + 2·27 + 2·81 = 221; bytes 1–3 are padding
 * // (121 = five zeros)
 * packed.words[0] & 255; // 221
 * ```
 */
export function packTernary(
  values: ArrayLike<number>,
  format: TernaryPackingFormat,
  options: PackTernaryOptions = {},
): PackedTernary {
  const fn = 'packTernary';
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new InvalidArgumentError(fn, 'values', 'an array or typed array of −1, 0, +1', values);
  }
  assertFormat(fn, format);
  assertKnownOptions(fn, options, ['rowLength']);
  const length = values.length;
  if (length === 0) throw new InvalidArgumentError(fn, 'values.length', '≥ 1', length);
  const rowLength = options.rowLength ?? length;
  assertNumber(fn, 'options.rowLength', rowLength, { integer: true, min: 1 });
  if (length % rowLength !== 0) {
    throw new InvalidArgumentError(
      fn,
      'values.length',
      `a multiple of options.rowLength (${rowLength})`,
      length,
      'Each row must be complete: pad the values or pick a row length that divides them.',
    );
  }
  const rows = length / rowLength;
  const perRow = ternaryWordsPerRow(rowLength, format);
  const words = new Int32Array(rows * perRow);
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    const out = r * perRow;
    if (format === 'i2s') {
      // Zero-filled words decode as −1: fill every code with 1 (t = 0) first, then write the row.
      words.fill(0x55555555, out, out + perRow);
      for (let j = 0; j < rowLength; j++) {
        const t = values[base + j]!;
        if (t !== -1 && t !== 0 && t !== 1) throw nonTernary(fn, base + j, t);
        const shift = 2 * (j & 15);
        const w = out + (j >> 4);
        words[w] = (words[w]! & ~(3 << shift)) | ((t + 1) << shift);
      }
    } else {
      for (let b = 0; b < perRow * 4; b++) {
        let byte = 0;
        for (let i = 0; i < 5; i++) {
          const j = b * 5 + i;
          const t = j < rowLength ? values[base + j]! : 0;
          if (t !== -1 && t !== 0 && t !== 1) throw nonTernary(fn, base + j, t);
          byte += (t + 1) * TRIT_WEIGHTS[i]!;
        }
        words[out + (b >> 2)]! |= byte << (8 * (b & 3));
      }
    }
  }
  return { format, length, rowLength, words };
}

function nonTernary(fn: string, index: number, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    fn,
    `values[${index}]`,
    'a ternary value −1, 0 or +1',
    value,
    'Quantize the weights first (quantizeWeights).',
  );
}

/**
 * Unpacks {@link packTernary}'s words back to the exact values, as an `Int8Array` of length
 * `packed.length`. Throws on a word count that does not match the length and row length, and on codes no
 * packer writes (i2s code 3, tq1 bytes ≥ 243). Layout: BitNet b1.58 / bitnet.cpp,
 * https://arxiv.org/abs/2410.16144.
 *
 * @example
 * ```ts
 * unpackTernary(packTernary([1, 0, -1], 'i2s')); // Int8Array [1, 0, -1]
 * ```
 */
export function unpackTernary(packed: PackedTernary): Int8Array {
  const fn = 'unpackTernary';
  if (packed === null || typeof packed !== 'object' || !(packed.words instanceof Int32Array)) {
    throw new InvalidArgumentError(
      fn,
      'packed',
      'a PackedTernary { format, length, rowLength, words }',
      packed,
    );
  }
  const { format, length, rowLength, words } = packed;
  assertFormat(fn, format);
  assertNumber(fn, 'packed.length', length, { integer: true, min: 1 });
  assertNumber(fn, 'packed.rowLength', rowLength, { integer: true, min: 1 });
  if (length % rowLength !== 0) {
    throw new InvalidArgumentError(
      fn,
      'packed.length',
      `a multiple of packed.rowLength (${rowLength})`,
      length,
    );
  }
  const perRow = ternaryWordsPerRow(rowLength, format);
  const expectedWords = (length / rowLength) * perRow;
  if (words.length !== expectedWords) {
    throw new InvalidArgumentError(
      fn,
      'packed.words.length',
      `${expectedWords} (${length / rowLength} rows of ${rowLength} values in '${format}')`,
      words.length,
    );
  }
  const out = new Int8Array(length);
  for (let r = 0; r < length / rowLength; r++) {
    const base = r * rowLength;
    const from = r * perRow;
    for (let j = 0; j < rowLength; j++) {
      let code: number;
      if (format === 'i2s') {
        code = (words[from + (j >> 4)]! >>> (2 * (j & 15))) & 3;
        if (code === 3) throw badCode(fn, from + (j >> 4), 'a 2-bit code 0, 1 or 2', code);
      } else {
        const b = Math.floor(j / 5);
        const byte = (words[from + (b >> 2)]! >>> (8 * (b & 3))) & 255;
        if (byte >= 243) throw badCode(fn, from + (b >> 2), 'bytes < 243 (five base-3 digits)', byte);
        code = Math.floor(byte / TRIT_WEIGHTS[j % 5]!) % 3;
      }
      out[base + j] = code - 1;
    }
  }
  return out;
}

function badCode(fn: string, word: number, expected: string, code: number): InvalidArgumentError {
  return new InvalidArgumentError(
    fn,
    `packed.words[${word}]`,
    expected,
    code,
    'The words are corrupt or not ternary.',
  );
}
