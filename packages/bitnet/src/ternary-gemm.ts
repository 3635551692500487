import {
  assertNumber,
  InvalidArgumentError,
  TERNARY_PACKING_FORMATS,
  type TernaryPackingFormat,
  ternaryWordsPerRow,
} from '@efficient-attention/core';

/** Arguments of {@link ternaryGemm}. */
export interface TernaryGemmArgs {
  /** Integer activations, row-major `[M, K]` (int8 values in practice; any int32 is exact while sums fit). */
  activations: Int32Array;
  /** Packed ternary weights `[N, ternaryWordsPerRow(K, format)]`: row n is column n of W `[K, N]`. */
  weights: Int32Array;
  m: number;
  k: number;
  n: number;
  format: TernaryPackingFormat;
  /** Where to write the `[M, N]` sums. Default: a new array. */
  out?: Int32Array;
}

/** Rows of weights accumulated together, so that each slice of the tables serves 4 rows while in L1. */
const ROW_BLOCK = 4;

/**
 * Words per tile: the accumulation walks the weights in column tiles of this many words (a 64 KiB slice of
 * the tables), so the slice stays in L1/L2 while every row passes over it instead of streaming the whole
 * table (≈ 0.5 MiB at K = 2048) once per row block.
 */
const WORD_TILE = 16;

/** x·(c − 1) for a digit c ∈ {0, 1, 2, 3}, by selection and addition (c = 3 is i2s's unused code: t = 2). */
function term(x: number, c: number): number {
  return c === 0 ? -x : c === 1 ? 0 : c === 2 ? x : x + x;
}

/**
 * Fills the i2s tables of one activation row: group g (byte g of every packed row: 4 activations) gets 256
 * entries, entry c0 + 4c1 + 16c2 + 64c3 = Σᵢ xᵢ·(cᵢ − 1) (code 3 reads as t = 2, like the reference).
 * Additions only, with the innermost digit unrolled (about twice as fast as a generic loop).
 */
function buildI2sTables(x: Int32Array, offset: number, k: number, groups: number, tables: Int32Array): void {
  const end = offset + k;
  for (let g = 0; g < groups; g++) {
    const j = offset + 4 * g;
    const x0 = j < end ? x[j]! : 0;
    const x1 = j + 1 < end ? x[j + 1]! : 0;
    const x2 = j + 2 < end ? x[j + 2]! : 0;
    const x3 = j + 3 < end ? x[j + 3]! : 0;
    const twoX0 = x0 + x0;
    let row = g << 8;
    for (let h = 0; h < 16; h++, row += 16) {
      const high = term(x2, h & 3) + term(x3, h >> 2);
      for (let c1 = 0, i = row; c1 < 4; c1++, i += 4) {
        const v = high + term(x1, c1);
        tables[i] = v - x0;
        tables[i + 1] = v;
        tables[i + 2] = v + x0;
        tables[i + 3] = v + twoX0;
      }
    }
  }
}

/**
 * Fills the tq1 tables of one activation row: group g (5 activations) gets 256 entries, entry
 * d0 + 3d1 + 9d2 + 27d3 + 81d4 = Σᵢ xᵢ·(dᵢ − 1); entries 243–255 repeat 0–12 (the reference reads those
 * bytes as value − 243). Additions only, innermost digit unrolled.
 */
function buildTq1Tables(x: Int32Array, offset: number, k: number, groups: number, tables: Int32Array): void {
  const end = offset + k;
  for (let g = 0; g < groups; g++) {
    const j = offset + 5 * g;
    const x0 = j < end ? x[j]! : 0;
    const x1 = j + 1 < end ? x[j + 1]! : 0;
    const x2 = j + 2 < end ? x[j + 2]! : 0;
    const x3 = j + 3 < end ? x[j + 3]! : 0;
    const x4 = j + 4 < end ? x[j + 4]! : 0;
    const base = g << 8;
    let i = base;
    for (let d4 = 0; d4 < 3; d4++) {
      for (let d3 = 0; d3 < 3; d3++) {
        for (let d2 = 0; d2 < 3; d2++) {
          const high = term(x2, d2) + term(x3, d3) + term(x4, d4);
          for (let d1 = 0; d1 < 3; d1++, i += 3) {
            const v = high + term(x1, d1);
            tables[i] = v - x0;
            tables[i + 1] = v;
            tables[i + 2] = v + x0;
          }
        }
      }
    }
    for (let t = 243; t < 256; t++) tables[base + t] = tables[base + t - 243]!;
  }
}

/**
 * Adds, for `n` packed weight rows, the table entries their bytes select: a 32-bit word costs four lookups
 * and four additions (16 weights in i2s, 20 in tq1) and no multiplication. `out` must start at zero.
 */
function accumulate(
  tables: Int32Array,
  weights: Int32Array,
  perRow: number,
  n: number,
  out: Int32Array,
  outOffset: number,
): void {
  for (let q0 = 0; q0 < perRow; q0 += WORD_TILE) {
    const q1 = Math.min(perRow, q0 + WORD_TILE);
    const t0 = q0 << 10;
    let r = 0;
    for (; r + ROW_BLOCK <= n; r += ROW_BLOCK) {
      const o0 = r * perRow;
      const o1 = o0 + perRow;
      const o2 = o1 + perRow;
      const o3 = o2 + perRow;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let q = q0, t = t0; q < q1; q++, t += 1024) {
        const v0 = weights[o0 + q]!;
        const v1 = weights[o1 + q]!;
        const v2 = weights[o2 + q]!;
        const v3 = weights[o3 + q]!;
        a0 +=
          tables[t | (v0 & 255)]! +
          tables[(t + 256) | ((v0 >>> 8) & 255)]! +
          tables[(t + 512) | ((v0 >>> 16) & 255)]! +
          tables[(t + 768) | (v0 >>> 24)]!;
        a1 +=
          tables[t | (v1 & 255)]! +
          tables[(t + 256) | ((v1 >>> 8) & 255)]! +
          tables[(t + 512) | ((v1 >>> 16) & 255)]! +
          tables[(t + 768) | (v1 >>> 24)]!;
        a2 +=
          tables[t | (v2 & 255)]! +
          tables[(t + 256) | ((v2 >>> 8) & 255)]! +
          tables[(t + 512) | ((v2 >>> 16) & 255)]! +
          tables[(t + 768) | (v2 >>> 24)]!;
        a3 +=
          tables[t | (v3 & 255)]! +
          tables[(t + 256) | ((v3 >>> 8) & 255)]! +
          tables[(t + 512) | ((v3 >>> 16) & 255)]! +
          tables[(t + 768) | (v3 >>> 24)]!;
      }
      out[outOffset + r]! += a0;
      out[outOffset + r + 1]! += a1;
      out[outOffset + r + 2]! += a2;
      out[outOffset + r + 3]! += a3;
    }
    for (; r < n; r++) {
      const o = r * perRow;
      let acc = 0;
      for (let q = q0, t = t0; q < q1; q++, t += 1024) {
        const v = weights[o + q]!;
        acc +=
          tables[t | (v & 255)]! +
          tables[(t + 256) | ((v >>> 8) & 255)]! +
          tables[(t + 512) | ((v >>> 16) & 255)]! +
          tables[(t + 768) | (v >>> 24)]!;
      }
      out[outOffset + r]! += acc;
    }
  }
}

/**
 * Integer GEMM of activations `[M, K]` by packed ternary weights (W `[K, N]` stored as N packed rows),
 * without multiplications: per activation row, lookup tables over groups of 4 (i2s) or 5 (tq1) activations
 * hold every signed sum a packed byte can select — the table-lookup idea of bitnet.cpp's TL1/TL2 kernels
 * (Wang et al. 2024, https://arxiv.org/abs/2410.16144) applied to whole bytes — then each byte of a weight
 * row is one lookup and one addition. Returns the exact int32 sums `[M, N]` (exact while
 * |sum| < 2³¹, e.g. int8 activations and K < 2²⁴). Registered as the `cpu` kernel of `EATernaryMatMul`
 * by `registerBitnetKernels()`; this plain-JS function runs on any backend.
 *
 * A multiplication-free add/subtract loop over 2-bit codes (masking x by each code's sign bits) was
 * measured at about a fifth of this speed on [1, 2048] × [2048, 2048] and is not kept.
 *
 * @example
 * ```ts
 * const w = packTernary([1, -1, 0, 1, 1, 1], 'i2s', { rowLength: 3 }); // W columns (1, −1, 0), (1, 1, 1)
 * ternaryGemm({ activations: Int32Array.of(5, 7, 9), weights: w.words, m: 1, k: 3, n: 2, format: 'i2s' });
 * // Int32Array [5 − 7, 5 + 7 + 9] = [−2, 21]
 * ```
 */
export function ternaryGemm(args: TernaryGemmArgs): Int32Array {
  const fn = 'ternaryGemm';
  const { activations, weights, m, k, n, format } = args;
  assertNumber(fn, 'm', m, { integer: true, min: 1 });
  assertNumber(fn, 'k', k, { integer: true, min: 1 });
  assertNumber(fn, 'n', n, { integer: true, min: 1 });
  if (!TERNARY_PACKING_FORMATS.includes(format)) {
    throw new InvalidArgumentError(fn, 'format', `one of ${TERNARY_PACKING_FORMATS.join(', ')}`, format);
  }
  if (!(activations instanceof Int32Array) || activations.length !== m * k) {
    throw new InvalidArgumentError(fn, 'activations', `an Int32Array of length m·k = ${m * k}`, activations);
  }
  const perRow = ternaryWordsPerRow(k, format);
  if (!(weights instanceof Int32Array) || weights.length !== n * perRow) {
    throw new InvalidArgumentError(
      fn,
      'weights',
      `an Int32Array of length n·${perRow} = ${n * perRow}`,
      weights,
    );
  }
  const out = args.out ?? new Int32Array(m * n);
  if (!(out instanceof Int32Array) || out.length !== m * n) {
    throw new InvalidArgumentError(fn, 'out', `an Int32Array of length m·n = ${m * n}`, out);
  }
  const groups = perRow * 4;
  const tables = new Int32Array(groups * 256);
  out.fill(0);
  for (let row = 0; row < m; row++) {
    if (format === 'i2s') buildI2sTables(activations, row * k, k, groups, tables);
    else buildTq1Tables(activations, row * k, k, groups, tables);
    accumulate(tables, weights, perRow, n, out, row * n);
  }
  return out;
}
