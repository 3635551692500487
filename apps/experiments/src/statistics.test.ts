import { describe, expect, it } from 'vitest';
import { getPreset, PRESETS } from './presets.js';
import { maxAbsDiff, median } from './statistics.js';

describe('metrics', () => {
  it('median handles odd, even and unsorted input', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/empty/);
  });
  it('maxAbsDiff finds the worst element', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/length mismatch/);
  });
});

describe('presets', () => {
  it('quick is a subset of full and validates names', () => {
    expect(PRESETS.quick.lengths.every((n) => PRESETS.full.lengths.includes(n))).toBe(true);
    expect(getPreset('quick').name).toBe('quick');
    expect(() => getPreset('fast')).toThrow(/`--preset` must be one of quick, full, received "fast"/);
  });
});
