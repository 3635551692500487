import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { blockLocal } from './block-local.js';

describe('blockLocal', () => {
  it('allows pairs inside the same block of `size` positions', () => {
    expectPicture(
      blockLocal({ size: 2 }),
      `
      ██····
      ██····
      ··██··
      ··██··
      ····██`,
    );
  });

  it('has an enumerator that agrees with the predicate; aligned blocks are all full', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 20 }),
        (qLen, kvLen, blockSize, size) => {
          expectEnumeratorAgrees(blockLocal({ size }), { qLen, kvLen, blockSize, seed: size });
        },
      ),
      { numRuns: 25, seed: 6 },
    );
    const aligned = createBlockMask(blockLocal({ size: 64 }), 1000, 1000, { blockSize: 64 });
    expect(aligned.numPartialBlocks).toBe(0);
    expect(Array.from(aligned.fullKvNumBlocks).every((n) => n === 1)).toBe(true);
  });

  it('rejects a size below 1', () => {
    expect(() => blockLocal({ size: 0 })).toThrow(/`options.size` must be an integer ≥ 1, received 0/);
  });
});
