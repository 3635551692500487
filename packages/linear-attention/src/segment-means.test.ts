import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { segmentMeanMatrix } from './segment-means.js';

describe('segmentMeanMatrix', () => {
  it('averages balanced consecutive segments that cover every position once, divisible or not', () => {
    expect(Array.from(segmentMeanMatrix(5, 2))).toEqual(
      [0.5, 0.5, 0, 0, 0, 0, 0, 1 / 3, 1 / 3, 1 / 3].map(Math.fround),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), (n, mRaw) => {
        const m = Math.min(n, mRaw);
        const p = segmentMeanMatrix(n, m);
        const sizes: number[] = [];
        let previousEnd = 0;
        for (let s = 0; s < m; s++) {
          const cols = Array.from({ length: n }, (_, j) => j).filter((j) => p[s * n + j]! > 0);
          // Consecutive, starting where the previous one ended; weights 1/size (a mean).
          expect(cols[0]).toBe(previousEnd);
          expect(cols[cols.length - 1]! - cols[0]! + 1).toBe(cols.length);
          for (const j of cols) expect(p[s * n + j]).toBeCloseTo(1 / cols.length, 7);
          previousEnd = cols[cols.length - 1]! + 1;
          sizes.push(cols.length);
        }
        expect(previousEnd).toBe(n);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it('names bad arguments', () => {
    expect(() => segmentMeanMatrix(4, 5)).toThrow(/`m` must be an integer in \[1, 4\], received 5/);
    expect(() => segmentMeanMatrix(0, 1)).toThrow(/`n` must be an integer ≥ 1/);
  });
});
