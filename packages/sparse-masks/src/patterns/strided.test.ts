import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { strided } from './strided.js';

describe('strided', () => {
  it('allows the previous `stride` keys and every `stride`-th key (Child et al. A1 ∪ A2)', () => {
    expectPicture(
      strided({ stride: 2 }),
      `
      █·····
      ██····
      ███···
      ·███··
      █·███·`,
    );
    expectPicture(
      strided({ stride: 3, causal: false }),
      `
      ████··█
      █████··
      ██████·
      ███████
      ·██████`,
    );
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        (qLen, kvLen, blockSize, stride, isCausal) => {
          expectEnumeratorAgrees(strided({ stride, causal: isCausal }), {
            qLen,
            kvLen,
            blockSize,
            seed: stride,
          });
        },
      ),
      { numRuns: 25, seed: 7 },
    );
  });

  it('builds block masks in place that equal the predicate sweep (multi-word rows, long rows)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom(1, 7, 32, 33, 64, 100, 128),
        fc.integer({ min: 1, max: 140 }),
        fc.boolean(),
        (qLen, kvLen, blockSize, stride, isCausal) => {
          expectEnumeratorAgrees(strided({ stride, causal: isCausal }), {
            qLen,
            kvLen,
            blockSize,
            seed: stride,
          });
        },
      ),
      { numRuns: 15, seed: 11 },
    );
  });

  it('rejects a stride below 1', () => {
    expect(() => strided({ stride: 0 })).toThrow(/`options.stride` must be an integer ≥ 1, received 0/);
    expect(() => strided({ stride: 2, causal: 1 } as never)).toThrow(/`options.causal` must be a boolean/);
  });
});
