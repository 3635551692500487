import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { globalTokens } from '../patterns/global-tokens.js';
import { slidingWindow } from '../patterns/sliding-window.js';
import { componentArbitrary } from './component-patterns.test-support.js';
import { orMasks } from './or-masks.js';

describe('orMasks', () => {
  it('allows the pairs any mask allows', () => {
    expectPicture(
      orMasks(slidingWindow({ radius: 0 }), globalTokens({ indices: [0] })),
      `
      ████
      ██··
      █·█·
      █··█`,
    );
  });

  it('equals the pairwise OR of its parts, and its enumerator agrees with the predicate', () => {
    fc.assert(
      fc.property(componentArbitrary(), (c) => {
        const combined = orMasks(...c.parts);
        const grids = c.parts.map((m) => createMaskArray(m, c.qLen, c.kvLen, { heads: 2 }));
        const expected = grids[0]!.map((bb, b) =>
          bb.map((hh, h) => hh.map((row, q) => row.map((_, kv) => grids.some((g) => g[b]![h]![q]![kv]!)))),
        );
        expect(createMaskArray(combined, c.qLen, c.kvLen, { heads: 2 })).toEqual(expected);
        expectEnumeratorAgrees(combined, { ...c, heads: 2 });
      }),
      { numRuns: 30, seed: 22 },
    );
  });

  it('rejects an empty list', () => {
    expect(() => orMasks()).toThrow(/orMasks: `masks` must be at least one MaskMod/);
  });
});
