import type { MaskMod } from '@efficient-attention/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { causal } from '../patterns/causal.js';
import { slidingWindow } from '../patterns/sliding-window.js';
import { andMasks } from './and-masks.js';
import { componentArbitrary } from './component-patterns.test-support.js';

describe('andMasks', () => {
  it('allows the pairs every mask allows', () => {
    expectPicture(
      andMasks(causal(), slidingWindow({ before: 1 })),
      `
      █···
      ██··
      ·██·
      ··██`,
    );
  });

  it('equals the pairwise AND of its parts, and its enumerator agrees with the predicate', () => {
    fc.assert(
      fc.property(componentArbitrary(), (c) => {
        const combined = andMasks(...c.parts);
        const grids = c.parts.map((m) => createMaskArray(m, c.qLen, c.kvLen, { heads: 2 }));
        const expected = grids[0]!.map((bb, b) =>
          bb.map((hh, h) => hh.map((row, q) => row.map((_, kv) => grids.every((g) => g[b]![h]![q]![kv]!)))),
        );
        expect(createMaskArray(combined, c.qLen, c.kvLen, { heads: 2 })).toEqual(expected);
        expectEnumeratorAgrees(combined, { ...c, heads: 2 });
      }),
      { numRuns: 30, seed: 21 },
    );
  });

  it('is invariant only when every part is, and rejects non-functions', () => {
    const headDependent: MaskMod = (_b, h, q, kv) => (q + kv + h) % 2 === 0;
    expect(andMasks(causal(), slidingWindow({ radius: 2 })).headInvariant).toBe(true);
    expect(andMasks(causal(), headDependent).headInvariant).toBe(false);
    expect(() => andMasks()).toThrow(/`masks` must be at least one MaskMod/);
    expect(() => andMasks(causal(), 3 as never)).toThrow(/`masks\[1\]` must be a MaskMod/);
  });
});
