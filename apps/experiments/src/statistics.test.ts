import { describe, expect, it } from 'vitest';
import { maxAbsDiff, mean, standardDeviation } from './statistics.js';

describe('metrics', () => {
  it('maxAbsDiff finds the worst element', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/length mismatch/);
  });
  it('mean and sample standard deviation', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935, 8);
    expect(standardDeviation([5])).toBe(0);
    expect(() => mean([])).toThrow(/empty/);
  });
});
