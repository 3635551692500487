import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { causal } from '../patterns/causal.js';
import { component } from './component-patterns.test-support.js';
import { notMask } from './not-mask.js';

describe('notMask', () => {
  it('allows the pairs the mask forbids', () => {
    expectPicture(
      notMask(causal()),
      `
      ·███
      ··██
      ···█
      ····`,
    );
  });

  it('is the complement, and its enumerator agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 36 }),
        fc.integer({ min: 0, max: 1000 }),
        (kind, qLen, kvLen, blockSize, p) => {
          const inner = component(kind, qLen, kvLen, p);
          const negated = notMask(inner);
          const a = createMaskArray(inner, qLen, kvLen, { heads: 2 });
          const expected = a.map((bb) => bb.map((hh) => hh.map((row) => row.map((x) => !x))));
          expect(createMaskArray(negated, qLen, kvLen, { heads: 2 })).toEqual(expected);
          expectEnumeratorAgrees(negated, { qLen, kvLen, blockSize, heads: 2, seed: p });
        },
      ),
      { numRuns: 30, seed: 23 },
    );
  });

  it('rejects a non-function', () => {
    expect(() => notMask(undefined as never)).toThrow(/notMask: `mask` must be a MaskMod/);
  });
});
