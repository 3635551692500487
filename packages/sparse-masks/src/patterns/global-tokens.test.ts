import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { createMask } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { globalTokens } from './global-tokens.js';

describe('globalTokens', () => {
  it('allows pairs where the query or the key is global', () => {
    expectPicture(
      globalTokens({ indices: [0] }),
      `
      ██████
      █·····
      █·····`,
    );
    expectPicture(
      globalTokens({ indices: [3, 1, 3] }),
      `
      ·█·█·
      █████
      ·█·█·
      █████
      ·█·█·`,
    );
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { maxLength: 12 }),
        (qLen, kvLen, blockSize, indices) => {
          const inRange = indices.filter((i) => i < Math.max(qLen, kvLen));
          expectEnumeratorAgrees(globalTokens({ indices: inRange }), { qLen, kvLen, blockSize, seed: qLen });
        },
      ),
      { numRuns: 25, seed: 4 },
    );
  });

  it('rejects indices out of range or not integers', () => {
    expect(() => createBlockMask(globalTokens({ indices: [0, 9] }), 8, 8)).toThrow(
      /`globalTokens indices` must be positions < 8 \(the sequence length\), received 9/,
    );
    expect(() => createMask(globalTokens({ indices: [12] }), 8, 8)).toThrow(/positions < 8/);
    expect(() => globalTokens({ indices: [1, -1] })).toThrow(
      /`options.indices\[1\]` must be an integer ≥ 0, received -1/,
    );
    expect(() => globalTokens({ indices: 3 } as never)).toThrow(/`options.indices` must be an array/);
  });
});
