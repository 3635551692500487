import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { causal } from '../patterns/causal.js';
import { slidingWindow } from '../patterns/sliding-window.js';
import { component } from './component-patterns.test-support.js';
import { offsetMask } from './offset-mask.js';

describe('offsetMask', () => {
  it('evaluates the mask at shifted positions (KV-cache decoding)', () => {
    expectPicture(
      offsetMask(causal(), { q: 2 }),
      `
      ███·
      ████`,
    );
    // Two new queries after 4 cached keys, window of 1 before: the last rows of the full window mask.
    const full = createMaskArray(slidingWindow({ before: 1 }), 6, 6)[0]![0]!;
    expect(createMaskArray(offsetMask(slidingWindow({ before: 1 }), { q: 4 }), 2, 6)[0]![0]).toEqual(
      full.slice(4),
    );
  });

  it('equals the shifted predicate, and its enumerator agrees with it (negative shifts too)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 36 }),
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: 0, max: 1000 }),
        (kind, qLen, kvLen, blockSize, dq, dkv, p) => {
          const inner = component(kind, qLen + 40, kvLen + 40, p);
          const shifted = offsetMask(inner, { q: dq, kv: dkv });
          for (const [q, kv] of [
            [0, 0],
            [qLen - 1, kvLen - 1],
            [p % qLen, (p * 7) % kvLen],
          ] as const) {
            expect(shifted(0, 1, q, kv)).toBe(inner(0, 1, q + dq, kv + dkv));
          }
          expectEnumeratorAgrees(shifted, { qLen, kvLen, blockSize, heads: 2, seed: p });
        },
      ),
      { numRuns: 30, seed: 24 },
    );
  });

  it('rejects non-integer offsets and unknown options', () => {
    expect(() => offsetMask(causal(), { q: 1.5 })).toThrow(/`options.q` must be an integer/);
    expect(() => offsetMask(causal(), { rows: 1 } as never)).toThrow(/`options.rows` must be one of/);
  });
});
