import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerBound } from './lower-bound.js';

describe('lowerBound', () => {
  it('returns the first index whose value is ≥ x (the count of smaller values)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 })),
        fc.integer({ min: -60, max: 60 }),
        (values, x) => {
          const sorted = Int32Array.from(values).sort();
          expect(lowerBound(sorted, x)).toBe(values.filter((v) => v < x).length);
        },
      ),
      { numRuns: 200, seed: 34 },
    );
  });
});
