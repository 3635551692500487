import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededSample } from './seeded-sample.js';

describe('seededSample', () => {
  it('returns k distinct ascending integers in [0, n), the same for the same coordinates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: -1000, max: 100_000 }),
        (n, fraction, seed, h, row) => {
          const k = Math.round(fraction * n);
          const s = Array.from(seededSample(n, k, seed, h, row));
          expect(s).toHaveLength(k);
          expect(new Set(s).size).toBe(k);
          expect(
            s.every((x, i) => Number.isInteger(x) && x >= 0 && x < n && (i === 0 || s[i - 1]! < x)),
          ).toBe(true);
          expect(Array.from(seededSample(n, k, seed, h, row))).toEqual(s);
        },
      ),
      { numRuns: 300, seed: 61 },
    );
  });

  it('is close to uniform: every value is drawn about k/n of the time over many rows', () => {
    // 20 000 rows × 3 of 16: each value is expected 3750 times; a binomial deviation of 6σ ≈ 330.
    const counts = new Array<number>(16).fill(0);
    for (let row = 0; row < 20_000; row++) for (const x of seededSample(16, 3, 9, 0, row)) counts[x]!++;
    for (const c of counts) expect(Math.abs(c - 3750)).toBeLessThan(330);
    // Rows, heads and seeds give different samples.
    expect(Array.from(seededSample(1000, 8, 1, 0, 5))).not.toEqual(
      Array.from(seededSample(1000, 8, 1, 0, 6)),
    );
    expect(Array.from(seededSample(1000, 8, 1, 0, 5))).not.toEqual(
      Array.from(seededSample(1000, 8, 1, 1, 5)),
    );
    expect(Array.from(seededSample(1000, 8, 1, 0, 5))).not.toEqual(
      Array.from(seededSample(1000, 8, 2, 0, 5)),
    );
  });
});
