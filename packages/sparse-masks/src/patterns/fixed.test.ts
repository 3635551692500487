import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { fixed } from './fixed.js';

describe('fixed', () => {
  it('allows the own block and the summary keys of every block (Child et al. fixed)', () => {
    expectPicture(
      fixed({ stride: 3, summary: 1 }),
      `
      █·····
      ██····
      ███···
      ··██··
      ··███·
      ··████`,
    );
    expectPicture(
      fixed({ stride: 3, summary: 2, causal: false }),
      `
      ███·██
      ███·██
      ███·██
      ·█████
      ·█████`,
    );
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        (qLen, kvLen, blockSize, stride, summary, isCausal) => {
          const pattern = fixed({ stride, summary: Math.min(summary, stride), causal: isCausal });
          expectEnumeratorAgrees(pattern, { qLen, kvLen, blockSize, seed: stride + summary });
        },
      ),
      { numRuns: 25, seed: 8 },
    );
  });

  it('builds block masks in place that equal the predicate sweep (multi-word rows, long rows)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom(1, 7, 32, 33, 64, 100, 128),
        fc.integer({ min: 1, max: 140 }),
        fc.integer({ min: 1, max: 140 }),
        fc.boolean(),
        (qLen, kvLen, blockSize, stride, summaryWanted, isCausal) => {
          const pattern = fixed({ stride, summary: Math.min(stride, summaryWanted), causal: isCausal });
          expectEnumeratorAgrees(pattern, { qLen, kvLen, blockSize, seed: stride + summaryWanted });
        },
      ),
      { numRuns: 15, seed: 13 },
    );
  });

  it('rejects a summary outside [1, stride]', () => {
    expect(() => fixed({ stride: 4, summary: 5 })).toThrow(
      /`options.summary` must be an integer ≥ 1 ≤ 4, received 5/,
    );
    expect(() => fixed({ stride: 0 })).toThrow(/`options.stride` must be an integer ≥ 1/);
  });
});
