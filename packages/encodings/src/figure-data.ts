import { assertKnownOptions, assertNumber, InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { PositionalEncoding } from './types.js';

/** Options of {@link encodingMatrix}. */
export interface EncodingMatrixOptions {
  /** Head whose bias a bias encoding shows. Default `0`. */
  head?: number;
}

/** Options of {@link dotProductVsDistance}. */
export interface DotProductVsDistanceOptions {
  /** Distances 0 … length − 1. */
  length: number;
  /** Width check: must equal the encoding's width (additive `dim`, rotary `headDim`) when given. */
  dim?: number;
  /** Head whose bias a bias encoding shows. Default `0`. */
  head?: number;
}

/** A curve: `value[k]` at `distance[k]`. */
export interface DistanceCurve {
  distance: number[];
  value: number[];
}

function widthOf(fn: string, encoding: PositionalEncoding, dim: number | undefined): number {
  const own =
    encoding.kind === 'additive' ? encoding.dim : encoding.kind === 'rotary' ? encoding.headDim : undefined;
  if (own === undefined) {
    if (dim === undefined)
      throw new InvalidArgumentError(fn, 'dim', `a width for a "${encoding.kind}" encoding`, dim);
    assertNumber(fn, 'dim', dim, { integer: true, min: 1 });
    return dim;
  }
  if (dim !== undefined && dim !== own) {
    throw new InvalidArgumentError(fn, 'dim', `${own} (the width of the "${encoding.name}" encoding)`, dim);
  }
  return own;
}

function headOf(fn: string, encoding: PositionalEncoding, head: number | undefined): number {
  const h = head ?? 0;
  const max = encoding.kind === 'bias' ? encoding.heads - 1 : 0;
  assertNumber(fn, 'options.head', h, { integer: true, min: 0, max });
  return h;
}

/** A `[length, headDim]` tensor whose rows hold 1 on the first member of each rotated pair and 0 on the second. */
function pairUnitRows(encoding: PositionalEncoding & { kind: 'rotary' }, length: number): tf.Tensor4D {
  const { headDim, rotaryDim, layout } = encoding;
  const row = new Float32Array(headDim).fill(1);
  for (let i = 0; i < rotaryDim / 2; i++) row[layout === 'half-split' ? i + rotaryDim / 2 : 2 * i + 1] = 0;
  return tf.tile(tf.tensor4d(row, [1, 1, 1, headDim]), [1, 1, length, 1]) as tf.Tensor4D;
}

function toRows(t: tf.Tensor): number[][] {
  return t.arraySync() as number[][];
}

/**
 * The matrix a figure shows for an encoding, as plain arrays (rows = positions):
 * - additive: the table `[length, dim]`;
 * - rotary: row p is the rotation of the vector with 1 on the first member of each pair and 0 on the
 *   second, i.e. (cos pθ_i, sin pθ_i) per pair in the layout's order (times any YaRN amplitude, and xPos's
 *   query scaling);
 *   unrotated dimensions show 1;
 * - bias: the `[length, dim]` bias of queries 0 … length − 1 against keys 0 … dim − 1 for `options.head`;
 * - none: zeros `[length, dim]`.
 * See Vaswani et al. 2017, Figure-style plots of §3.5: https://arxiv.org/abs/1706.03762
 *
 * @example
 * ```ts
 * const m = encodingMatrix(sinusoidal({ dim: 64 }), 100, 64); // number[100][64]
 * const b = encodingMatrix(alibi({ heads: 8 }), 32, 32, { head: 7 });
 * ```
 */
export function encodingMatrix(
  encoding: PositionalEncoding,
  length: number,
  dim?: number,
  options?: EncodingMatrixOptions,
): number[][] {
  const fn = 'encodingMatrix';
  assertNumber(fn, 'length', length, { integer: true, min: 1 });
  assertKnownOptions(fn, options, ['head']);
  switch (encoding.kind) {
    case 'additive':
      widthOf(fn, encoding, dim);
      return tf.tidy(() => toRows(encoding.encode(length)));
    case 'rotary':
      widthOf(fn, encoding, dim);
      return tf.tidy(() =>
        toRows(
          tf.reshape(encoding.rotate(pairUnitRows(encoding, length), { role: 'query' }), [
            length,
            encoding.headDim,
          ]),
        ),
      );
    case 'bias': {
      const cols = widthOf(fn, encoding, dim);
      const head = headOf(fn, encoding, options?.head);
      return tf.tidy(() =>
        toRows(tf.squeeze(tf.slice(encoding.bias(length, cols), [head, 0, 0], [1, -1, -1]), [0])),
      );
    }
    case 'none':
      return Array.from({ length }, () => new Array<number>(widthOf(fn, encoding, dim)).fill(0));
    default:
      throw new InvalidArgumentError(fn, 'encoding', 'a positional encoding', encoding);
  }
}

/**
 * How much an encoding alone makes two positions k apart agree, for the "dot product vs distance" figure
 * (k = 0 … length − 1):
 * - additive: ⟨PE(0), PE(k)⟩ (for sinusoidal, Σ_i cos(k·ω_i));
 * - rotary: ⟨rope(1, k), rope(1, 0)⟩ for the all-ones query at position k and key at 0 (for plain RoPE,
 *   Σ_i 2cos(k·θ_i) plus one per unrotated dimension — RoFormer's long-term decay, §3.4.3);
 * - bias: the bias a query at position k gives the key at 0 in `options.head` (ALiBi: −m_h·k);
 * - none: zeros.
 * Su et al. 2021: https://arxiv.org/abs/2104.09864
 *
 * @example
 * ```ts
 * const { distance, value } = dotProductVsDistance(rope({ headDim: 64 }), { length: 512 });
 * ```
 */
export function dotProductVsDistance(
  encoding: PositionalEncoding,
  options: DotProductVsDistanceOptions,
): DistanceCurve {
  const fn = 'dotProductVsDistance';
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(fn, 'options', 'an options object with `length`', options);
  }
  assertKnownOptions(fn, options, ['length', 'dim', 'head']);
  const { length } = options;
  assertNumber(fn, 'options.length', length, { integer: true, min: 1 });
  const distance = Array.from({ length }, (_, k) => k);
  const values = (t: tf.Tensor) => Array.from(t.dataSync());
  switch (encoding.kind) {
    case 'additive':
      widthOf(fn, encoding, options.dim);
      return {
        distance,
        value: tf.tidy(() => {
          const table = encoding.encode(length);
          return values(tf.matMul(table, tf.slice(table, [0, 0], [1, -1]), false, true));
        }),
      };
    case 'rotary':
      widthOf(fn, encoding, options.dim);
      return {
        distance,
        value: tf.tidy(() => {
          const ones = tf.ones([1, 1, 1, encoding.headDim]);
          const queries = encoding.rotate(tf.tile(ones, [1, 1, length, 1]), { role: 'query' });
          const key = encoding.rotate(ones, { role: 'key' });
          return values(tf.sum(tf.mul(queries, key), -1));
        }),
      };
    case 'bias': {
      const head = headOf(fn, encoding, options.head);
      return {
        distance,
        value: tf.tidy(() => values(tf.slice(encoding.bias(length, 1), [head, 0, 0], [1, -1, 1]))),
      };
    }
    case 'none':
      return { distance, value: new Array<number>(length).fill(0) };
    default:
      throw new InvalidArgumentError(fn, 'encoding', 'a positional encoding', encoding);
  }
}
