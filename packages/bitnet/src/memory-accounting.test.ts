import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelSizeReport, WEIGHT_FORMATS, weightBytes } from './memory-accounting.js';
import { packTernary } from './ternary-packing.js';

describe('weightBytes / modelSizeReport', () => {
  it('hand-computed sizes for a 2048×2048 matrix: 16× (i2s) and ≈ 20× (tq1) smaller than fp32', () => {
    const n = 2048 * 2048;
    expect(weightBytes(n, 'fp32')).toBe(16_777_216);
    expect(weightBytes(n, 'fp16')).toBe(8_388_608);
    expect(weightBytes(n, 'int8')).toBe(4_194_304 + 4);
    // i2s: 2048 rows × 128 words × 4 bytes + a float32 scale.
    expect(weightBytes(n, 'i2s', { rowLength: 2048 })).toBe(2048 * 128 * 4 + 4);
    // tq1: ⌈2048/5⌉ = 410 bytes per row, padded to 103 words = 412 bytes.
    expect(weightBytes(n, 'tq1', { rowLength: 2048 })).toBe(2048 * 412 + 4);
    // One flat row: ⌈n/5⌉ bytes rounded up to a word.
    expect(weightBytes(n, 'tq1')).toBe(Math.ceil(Math.ceil(n / 5) / 4) * 4 + 4);
    expect(weightBytes(0, 'i2s')).toBe(0);
  });

  it('packed sizes equal the bytes packTernary actually produces, plus the scale', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom<'i2s' | 'tq1'>('i2s', 'tq1'),
        (rowLength, rows, format) => {
          const packed = packTernary(new Int8Array(rowLength * rows), format, { rowLength });
          expect(weightBytes(rowLength * rows, format, { rowLength })).toBe(packed.words.byteLength + 4);
        },
      ),
      { numRuns: 100, seed: 9 },
    );
  });

  it('sums a model: per layer, total, bits per weight and compression', () => {
    const report = modelSizeReport([
      { name: 'q_proj', shape: [64, 64] },
      { name: 'gain', shape: [64] },
    ]);
    expect(report.layers.map((l) => l.numWeights)).toEqual([4096, 64]);
    // q_proj packs as 64 rows of 64 (4 i2s words, 13 bytes → 4 tq1 words); the gain as one row.
    expect(report.layers[0]!.bytes.i2s).toBe(64 * 4 * 4 + 4);
    expect(report.layers[0]!.bytes.tq1).toBe(64 * 4 * 4 + 4);
    expect(report.layers[1]!.bytes.i2s).toBe(4 * 4 + 4);
    expect(report.layers[1]!.bytes.tq1).toBe(4 * 4 + 4);
    expect(report.total.numWeights).toBe(4160);
    for (const f of WEIGHT_FORMATS) {
      expect(report.total.bytes[f]).toBe(report.layers[0]!.bytes[f] + report.layers[1]!.bytes[f]);
      expect(report.bitsPerWeight[f]).toBeCloseTo((8 * report.total.bytes[f]) / 4160, 12);
      expect(report.compressionVsFp32[f]).toBeCloseTo(report.total.bytes.fp32 / report.total.bytes[f], 12);
    }
    expect(report.compressionVsFp32.fp32).toBe(1);
    const big = modelSizeReport([{ name: 'w', shape: [2048, 2048] }]);
    expect(big.compressionVsFp32.i2s).toBeCloseTo(16, 3);
    expect(big.compressionVsFp32.tq1).toBeCloseTo(19.88, 2);
  });

  it('rejects bad arguments', () => {
    expect(() => weightBytes(10, 'int4' as 'int8')).toThrow(
      /weightBytes: `format` must be one of fp32, fp16, int8, i2s, tq1, received "int4"/,
    );
    expect(() => weightBytes(-1, 'fp32')).toThrow(/`numWeights` must be an integer ≥ 0, received -1/);
    expect(() => weightBytes(10, 'i2s', { rowLength: 3 })).toThrow(
      /`numWeights` must be a multiple of options.rowLength \(3\), received 10/,
    );
    expect(() => modelSizeReport([])).toThrow(/`layers` must be a non-empty array/);
    expect(() => modelSizeReport([{ name: 'x', shape: [2, 0] }])).toThrow(
      /`layers\[0\].shape\[1\]` must be an integer ≥ 1, received 0/,
    );
  });
});
