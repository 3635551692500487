import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { causal } from './causal.js';
import { prefixLM } from './prefix-lm.js';

describe('prefixLM', () => {
  it('allows the whole prefix and causal pairs after it', () => {
    expectPicture(
      prefixLM({ prefixLength: 2 }),
      `
      ██····
      ██····
      ███···
      ████··`,
    );
    expect(createMaskArray(prefixLM({ prefixLength: 0 }), 7, 7)).toEqual(createMaskArray(causal(), 7, 7));
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 70 }),
        (qLen, kvLen, blockSize, prefixLength) => {
          expectEnumeratorAgrees(prefixLM({ prefixLength }), { qLen, kvLen, blockSize, seed: prefixLength });
        },
      ),
      { numRuns: 25, seed: 9 },
    );
  });

  it('rejects a negative prefix', () => {
    expect(() => prefixLM({ prefixLength: -3 })).toThrow(
      /`options.prefixLength` must be an integer ≥ 0, received -3/,
    );
  });
});
