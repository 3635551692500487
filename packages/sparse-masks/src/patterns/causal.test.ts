import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { causal } from './causal.js';

describe('causal', () => {
  it('allows kv ≤ q, and kv ≤ q + kvLen − qLen when bottom-right aligned', () => {
    expectPicture(
      causal(),
      `
      █···
      ██··
      ███·
      ████`,
    );
    expectPicture(
      causal({ qLen: 2, kvLen: 4 }),
      `
      ███·
      ████`,
    );
    // More queries than keys: the first rows see nothing.
    expectPicture(
      causal({ qLen: 4, kvLen: 2 }),
      `
      ··
      ··
      █·
      ██`,
    );
  });

  it('has an enumerator that agrees with the predicate (lengths not multiple of the block, cross-attention)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (qLen, kvLen, blockSize, aligned) => {
          const pattern = aligned ? causal({ qLen, kvLen }) : causal();
          expectEnumeratorAgrees(pattern, { qLen, kvLen, blockSize, seed: qLen * 97 + kvLen });
        },
      ),
      { numRuns: 25, seed: 1 },
    );
  });

  it('visits the lower triangle of blocks and refuses other lengths or half-given lengths', () => {
    const mask = createBlockMask(causal(), 1024, 1024, { blockSize: 128 });
    expect(mask.sparsity()).toBeCloseTo(1 - 36 / 64, 12);
    expect(() => createBlockMask(causal({ qLen: 4, kvLen: 8 }), 4, 9)).toThrow(
      /built for \(qLen 4, kvLen 8\), received "qLen 4, kvLen 9"/,
    );
    expect(() => causal({ qLen: 4 })).toThrow(/give both `qLen` and `kvLen`/);
    expect(() => causal({ qLen: 0, kvLen: 3 })).toThrow(/`options.qLen` must be an integer ≥ 1, received 0/);
  });
});
