import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { slidingWindow } from './sliding-window.js';

describe('slidingWindow', () => {
  it('allows kv ∈ [q − before, q + after], inclusive', () => {
    expectPicture(
      slidingWindow({ radius: 1 }),
      `
      ██····
      ███···
      ·███··
      ··███·`,
    );
    expectPicture(
      slidingWindow({ before: 2, after: 0 }),
      `
      █·····
      ██····
      ███···
      ·███··`,
    );
    expectPicture(
      slidingWindow({ after: 1 }),
      `
      ██··
      ·██·
      ··██
      ···█`,
    );
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        (qLen, kvLen, blockSize, before, after) => {
          expectEnumeratorAgrees(slidingWindow({ before, after }), { qLen, kvLen, blockSize, seed: before });
        },
      ),
      { numRuns: 25, seed: 2 },
    );
  });

  it('visits 3 blocks per query block for radius = block size, and rejects bad extents', () => {
    const mask = createBlockMask(slidingWindow({ radius: 128 }), 16384, 16384, { blockSize: 128 });
    expect(Array.from(mask.kvNumBlocks.subarray(1, 127)).every((n) => n === 2)).toBe(true);
    expect(Array.from(mask.fullKvNumBlocks.subarray(1, 127)).every((n) => n === 1)).toBe(true);
    expect(() => slidingWindow({ before: -1 })).toThrow(
      /`options.before` must be an integer ≥ 0, received -1/,
    );
    expect(() => slidingWindow({ radius: 2, after: 1 })).toThrow(/pass either `radius` or `before`\/`after`/);
    expect(() => slidingWindow({})).toThrow(/give the window/);
    expect(() => slidingWindow({ radius: 1, width: 3 } as never)).toThrow(/`options.width` must be one of/);
  });
});
