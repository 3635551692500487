import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { dilatedSlidingWindow } from './dilated-sliding-window.js';
import { slidingWindow } from './sliding-window.js';

describe('dilatedSlidingWindow', () => {
  it('allows kv = q + t·dilation for t ∈ [−before, after]', () => {
    expectPicture(
      dilatedSlidingWindow({ radius: 1, dilation: 2 }),
      `
      █·█····
      ·█·█···
      █·█·█··
      ·█·█·█·`,
    );
    expectPicture(
      dilatedSlidingWindow({ before: 2, after: 0, dilation: 3 }),
      `
      █·······
      ·█······
      ··█·····
      █··█····
      ·█··█···
      ··█··█··
      █··█··█·`,
    );
  });

  it('has an enumerator that agrees with the predicate, and dilation 1 is the sliding window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 5 }),
        (qLen, kvLen, blockSize, before, after, dilation) => {
          expectEnumeratorAgrees(dilatedSlidingWindow({ before, after, dilation }), {
            qLen,
            kvLen,
            blockSize,
            seed: dilation,
          });
        },
      ),
      { numRuns: 25, seed: 3 },
    );
    expect(createMaskArray(dilatedSlidingWindow({ radius: 3, dilation: 1 }), 9, 11)).toEqual(
      createMaskArray(slidingWindow({ radius: 3 }), 9, 11),
    );
  });

  it('rejects a dilation below 1', () => {
    expect(() => dilatedSlidingWindow({ radius: 2, dilation: 0 })).toThrow(
      /`options.dilation` must be an integer ≥ 1, received 0/,
    );
    expect(() => dilatedSlidingWindow({ radius: -2, dilation: 2 })).toThrow(
      /`options.radius` must be an integer ≥ 0/,
    );
  });
});
