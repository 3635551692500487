import { createRandom, type TernaryPackingFormat, ternaryWordsPerRow } from '@efficient-attention/core';
import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { ternaryGemm } from './ternary-gemm.js';
import { packTernary } from './ternary-packing.js';

interface Case {
  m: number;
  k: number;
  n: number;
  format: TernaryPackingFormat;
  seed: number;
}

/** Random int8 activations `[M, K]` and ternary W `[K, N]`, with W's columns packed as rows. */
function buildCase({ m, k, n, format, seed }: Case) {
  const rng = createRandom(seed);
  const activations = Int32Array.from({ length: m * k }, () => rng.int(256) - 128);
  const w = Array.from({ length: k * n }, () => rng.int(3) - 1); // row-major [K, N]
  const columns = Array.from({ length: n * k }, (_, i) => w[(i % k) * n + Math.floor(i / k)]!);
  const packed = packTernary(columns, format, { rowLength: k });
  // Σₖ x·w in plain integer arithmetic: the reference.
  const expected = new Int32Array(m * n);
  for (let r = 0; r < m; r++)
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += activations[r * k + j]! * w[j * n + c]!;
      expected[r * n + c] = s;
    }
  return { activations, w, words: packed.words, expected };
}

const caseArbitrary = fc.record({
  m: fc.integer({ min: 1, max: 5 }),
  k: fc.integer({ min: 1, max: 90 }),
  n: fc.integer({ min: 1, max: 11 }),
  format: fc.constantFrom<TernaryPackingFormat>('i2s', 'tq1'),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describeBackends('ternaryGemm (typed-array lookup-table kernel)', () => {
  it('equals the integer matmul and the dequantised float matMul exactly (random shapes, both formats)', () => {
    fc.assert(
      fc.property(caseArbitrary, (p) => {
        const c = buildCase(p);
        const got = ternaryGemm({
          activations: c.activations,
          weights: c.words,
          m: p.m,
          k: p.k,
          n: p.n,
          format: p.format,
        });
        expect(got).toEqual(c.expected);
        // The float32 matMul of the same integers is exact too (|sums| ≤ 128·90 < 2^24).
        const float = tf.tidy(() =>
          tf.matMul(tf.tensor2d(Float32Array.from(c.activations), [p.m, p.k]), tf.tensor2d(c.w, [p.k, p.n])),
        );
        expect(Array.from(float.dataSync())).toEqual(Array.from(got));
        float.dispose();
      }),
      { numRuns: 60, seed: 42 },
    );
  });

  it('ignores padding bits and reuses an output buffer', () => {
    const p = { m: 2, k: 13, n: 6, format: 'i2s' as const, seed: 3 };
    const c = buildCase(p);
    const perRow = ternaryWordsPerRow(p.k, p.format);
    const dirty = Int32Array.from(c.words, (w, i) =>
      i % perRow === perRow - 1 ? w ^ (0b10_10_01 << 26) : w,
    );
    const out = new Int32Array(p.m * p.n).fill(99);
    const got = ternaryGemm({ activations: c.activations, weights: dirty, ...p, out });
    expect(got).toBe(out);
    expect(got).toEqual(c.expected);
    const q = { m: 1, k: 7, n: 3, format: 'tq1' as const, seed: 4 };
    const d = buildCase(q);
    // tq1: k = 7 uses 2 bytes of the word; bytes 2–3 are padding.
    const tqDirty = Int32Array.from(d.words, (w) => (w & 0xffff) | (17 << 16) | (242 << 24));
    expect(ternaryGemm({ activations: d.activations, weights: tqDirty, ...q })).toEqual(d.expected);
  });

  it('handles the extremes: all −128 activations against all −1 weights', () => {
    const k = 100;
    const words = packTernary(Array(k * 4).fill(-1), 'tq1', { rowLength: k }).words;
    const got = ternaryGemm({
      activations: new Int32Array(k).fill(-128),
      weights: words,
      m: 1,
      k,
      n: 4,
      format: 'tq1',
    });
    expect(Array.from(got)).toEqual([12800, 12800, 12800, 12800]);
  });

  it('rejects arrays of the wrong length or type', () => {
    const base = {
      activations: new Int32Array(6),
      weights: new Int32Array(2),
      m: 2,
      k: 3,
      n: 2,
      format: 'i2s' as const,
    };
    expect(() => ternaryGemm({ ...base, activations: new Int32Array(5) })).toThrow(
      /ternaryGemm: `activations` must be an Int32Array of length m·k = 6/,
    );
    expect(() => ternaryGemm({ ...base, weights: new Int32Array(3) })).toThrow(
      /`weights` must be an Int32Array of length n·1 = 2/,
    );
    expect(() => ternaryGemm({ ...base, activations: new Float32Array(6) as unknown as Int32Array })).toThrow(
      /`activations`/,
    );
    expect(() => ternaryGemm({ ...base, out: new Int32Array(3) })).toThrow(
      /`out` must be an Int32Array of length m·n = 4/,
    );
    expect(() => ternaryGemm({ ...base, m: 0 })).toThrow(/`m` must be an integer ≥ 1, received 0/);
  });
});
