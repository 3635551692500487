import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { starTransformer } from './star-transformer.js';

describe('starTransformer', () => {
  it('connects the relay (position 0) to all and each satellite to its ring neighbours', () => {
    expectPicture(
      starTransformer({ seqLen: 6 }),
      `
      ██████
      ███··█
      ████··
      █·███·
      █··███
      ██··██`,
    );
    expectPicture(
      starTransformer({ seqLen: 2 }),
      `
      ██
      ██`,
    );
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 70 }), fc.integer({ min: 1, max: 40 }), (seqLen, blockSize) => {
        expectEnumeratorAgrees(starTransformer({ seqLen }), {
          qLen: seqLen,
          kvLen: seqLen,
          blockSize,
          seed: seqLen,
        });
      }),
      { numRuns: 25, seed: 14 },
    );
  });

  it('refuses other lengths', () => {
    expect(() => createBlockMask(starTransformer({ seqLen: 16 }), 16, 17)).toThrow(/qLen = kvLen = 16/);
    expect(() => starTransformer({ seqLen: 1 })).toThrow(/`options.seqLen` must be an integer ≥ 2/);
  });
});
