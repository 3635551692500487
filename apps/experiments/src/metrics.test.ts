import { describe, expect, it } from 'vitest';
import {
  addCounts,
  attentionDensity,
  bitsPerCharacter,
  exactMatchAccuracy,
  majorityBaseline,
  maskedAccuracy,
  perplexity,
  ratio,
  weightedMean,
} from './metrics.js';

describe('metrics', () => {
  it('maskedAccuracy skips ignored targets', () => {
    expect(maskedAccuracy([1, 2, 3, 4], [1, -1, 0, 4])).toEqual({ correct: 2, total: 3 });
    expect(ratio(maskedAccuracy([5], [-1]))).toBeNull();
    expect(() => maskedAccuracy([1], [1, 2])).toThrow(/1 predictions for 2 targets/);
  });

  it('exactMatchAccuracy needs every target of a row right', () => {
    // Two rows of 3: the first is all right, the second misses one.
    expect(exactMatchAccuracy([1, 9, 2, 3, 4, 5], [1, -1, 2, 3, 0, -1], 3)).toEqual({ correct: 1, total: 2 });
    expect(ratio(addCounts({ correct: 1, total: 2 }, { correct: 3, total: 6 }))).toBe(0.5);
  });

  it('perplexity and bits per character of a uniform model over V symbols are V and log2 V', () => {
    const v = 64;
    expect(perplexity(Math.log(v))).toBeCloseTo(64, 10);
    expect(bitsPerCharacter(Math.log(v))).toBeCloseTo(6, 12);
  });

  it('weightedMean weights by token count', () => {
    expect(
      weightedMean([
        { value: 1, weight: 3 },
        { value: 3, weight: 1 },
      ]),
    ).toBe(1.5);
    expect(() => weightedMean([])).toThrow(/weight is 0/);
  });

  it('majorityBaseline is the share of the commonest label', () => {
    expect(majorityBaseline([1, 2, 2, 3])).toBe(0.5);
  });

  it('attentionDensity counts weights above the threshold among allowed entries', () => {
    // Causal 3×3: allowed = 6 entries; uniform rows have 1 + 2 + 3 = 6 non-zeros → density 1.
    const uniform = [1, 0, 0, 0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3];
    expect(attentionDensity(uniform, 3, { causal: true })).toBe(1);
    // One-hot rows: 3 of 6 allowed entries.
    const oneHot = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    expect(attentionDensity(oneHot, 3, { causal: true })).toBe(0.5);
    expect(attentionDensity(oneHot, 3, { causal: false })).toBeCloseTo(1 / 3, 12);
  });
});
