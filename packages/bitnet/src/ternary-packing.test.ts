import { type TernaryPackingFormat, ternaryWordsPerRow } from '@efficient-attention/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PackedTernary, packTernary, unpackTernary } from './ternary-packing.js';

const ternaryRows = fc
  .record({
    rowLength: fc.integer({ min: 1, max: 70 }),
    rows: fc.integer({ min: 1, max: 5 }),
    format: fc.constantFrom<TernaryPackingFormat>('i2s', 'tq1'),
  })
  .chain(({ rowLength, rows, format }) =>
    fc.record({
      rowLength: fc.constant(rowLength),
      format: fc.constant(format),
      values: fc.array(fc.constantFrom(-1, 0, 1), {
        minLength: rowLength * rows,
        maxLength: rowLength * rows,
      }),
    }),
  );

describe('packTernary / unpackTernary', () => {
  it('round-trip exactly, at the documented number of words', () => {
    fc.assert(
      fc.property(ternaryRows, ({ values, rowLength, format }) => {
        const packed = packTernary(values, format, { rowLength });
        expect(packed.words.length).toBe((values.length / rowLength) * ternaryWordsPerRow(rowLength, format));
        expect(Array.from(unpackTernary(packed))).toEqual(values.map((v) => v + 0)); // −0 → 0
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('writes the documented bit layout (hand-computed words)', () => {
    // i2s: code t + 1 at bits 2j: [1, 0, −1, 1] → codes (2, 1, 0, 2) → 2 + 1·4 + 0·16 + 2·64 = 134; the
    // other 12 codes are padding 1 (t = 0): 0x55555555 with the low byte replaced.
    expect(packTernary([1, 0, -1, 1], 'i2s').words).toEqual(Int32Array.of(0x55555500 | 134));
    // tq1: base-3 digits t + 1, first value least significant: (2, 1, 0, 2, 2) → 221; padding bytes are
    // five zeros: 1 + 3 + 9 + 27 + 81 = 121.
    const tq1 = packTernary([1, 0, -1, 1, 1, -1], 'tq1').words;
    expect(tq1.length).toBe(1);
    expect(tq1[0]! & 255).toBe(221);
    // Byte 1 = (−1, then four padding zeros) → digits (0, 1, 1, 1, 1) → 3 + 9 + 27 + 81 = 120.
    expect((tq1[0]! >>> 8) & 255).toBe(120);
    expect((tq1[0]! >>> 16) & 255).toBe(121);
    // Rows start on fresh words: 17 values per row in i2s take 2 words each.
    expect(packTernary(Array(34).fill(0), 'i2s', { rowLength: 17 }).words.length).toBe(4);
  });

  it('stores 2048×2048 weights in 1 MiB (i2s) and 824 KiB (tq1)', () => {
    const values = new Int8Array(2048 * 2048);
    expect(packTernary(values, 'i2s', { rowLength: 2048 }).words.byteLength).toBe(1_048_576);
    expect(packTernary(values, 'tq1', { rowLength: 2048 }).words.byteLength).toBe(2048 * 103 * 4);
  });

  it('rejects non-ternary values, length mismatches and corrupt words with clear errors', () => {
    expect(() => packTernary([1, 0.5], 'i2s')).toThrow(
      /packTernary: `values\[1\]` must be a ternary value −1, 0 or \+1, received 0.5. Quantize the weights first/,
    );
    expect(() => packTernary([1, 2, 0], 'tq1')).toThrow(/`values\[1\]` must be a ternary value/);
    expect(() => packTernary([0, Number.NaN], 'tq1')).toThrow(/`values\[1\]`.*received NaN/);
    expect(() => packTernary([1, 0, 1], 'i2s', { rowLength: 2 })).toThrow(
      /`values.length` must be a multiple of options.rowLength \(2\), received 3/,
    );
    expect(() => packTernary([], 'i2s')).toThrow(/`values.length` must be ≥ 1, received 0/);
    expect(() => packTernary([1], 'q2' as TernaryPackingFormat)).toThrow(
      /`format` must be one of i2s, tq1, received "q2"/,
    );
    const packed = packTernary([1, 0, -1, 1, 0, 0, 1], 'i2s', { rowLength: 7 });
    const short: PackedTernary = { ...packed, length: 14 };
    expect(() => unpackTernary(short)).toThrow(
      /`packed.words.length` must be 2 \(2 rows of 7 values in 'i2s'\), received 1/,
    );
    const code3: PackedTernary = { ...packed, words: Int32Array.of(packed.words[0]! | 0b11) };
    expect(() => unpackTernary(code3)).toThrow(
      /`packed.words\[0\]` must be a 2-bit code 0, 1 or 2, received 3/,
    );
    const byte250: PackedTernary = { format: 'tq1', length: 5, rowLength: 5, words: Int32Array.of(250) };
    expect(() => unpackTernary(byte250)).toThrow(/`packed.words\[0\]` must be bytes < 243.*received 250/);
  });
});
