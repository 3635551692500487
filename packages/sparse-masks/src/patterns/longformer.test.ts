import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { longformer } from './longformer.js';

describe('longformer', () => {
  it('is a (dilated) window plus global tokens', () => {
    expectPicture(
      longformer({ radius: 1, globalIndices: [0] }),
      `
      ██████
      ███···
      ████··
      █·███·
      █··███`,
    );
    expectPicture(
      longformer({ before: 1, after: 1, dilation: 2, globalIndices: [5] }),
      `
      █·█··█
      ·█·█·█
      █·█·██
      ·█·█·█
      ··█·██
      ██████`,
    );
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 1, max: 3 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { maxLength: 4 }),
        (n, blockSize, radius, dilation, indices) => {
          const pattern = longformer({ radius, dilation, globalIndices: indices.filter((i) => i < n) });
          expectEnumeratorAgrees(pattern, { qLen: n, kvLen: n, blockSize, seed: radius });
        },
      ),
      { numRuns: 25, seed: 12 },
    );
  });

  it('names itself and rejects bad options', () => {
    expect(longformer({ radius: 4, globalIndices: [0, 1] }).description).toBe(
      'longformer(before=4, after=4, globalIndices=[0, 1])',
    );
    expect(() => longformer({ radius: 4, globalIndices: 0 } as never)).toThrow(
      /`options.globalIndices` must be an array/,
    );
    expect(() => longformer({ radius: 4, dilation: 0 })).toThrow(/`options.dilation` must be an integer ≥ 1/);
  });
});
