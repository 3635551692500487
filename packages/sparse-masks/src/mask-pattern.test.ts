import { describe, expect, it } from 'vitest';
import { createBlockMask } from './create-block-mask.js';
import { definePattern, describeMask, enumeratorOf, renamePattern } from './mask-pattern.js';
import { expectEnumeratorAgrees } from './pattern-checks.test-support.js';

describe('definePattern', () => {
  it('wraps a predicate into a frozen pattern with its metadata; user enumerators are used', () => {
    const evenKeys = definePattern((_b, _h, _q, kv) => kv % 2 === 0, {
      description: 'evenKeys',
      batchInvariant: true,
      headInvariant: true,
      blocks: {
        classify: (_b, _h, _q0, _q1, grid, states) => states.fill(1, 0, grid.count),
        fillBits: (_b, _h, slab) => {
          for (let q = slab.q0; q < slab.q1; q++) {
            for (let kv = slab.kv0 + (((slab.kv0 % 2) + 2) % 2); kv < slab.kv1; kv += 2) slab.set(q, kv);
          }
        },
      },
    });
    expect(Object.isFrozen(evenKeys)).toBe(true);
    expect(evenKeys(0, 0, 3, 4)).toBe(true);
    expect(evenKeys(0, 0, 3, 5)).toBe(false);
    expect(describeMask(evenKeys)).toBe('evenKeys');
    expect(renamePattern(evenKeys, 'alternate').description).toBe('alternate');
    expectEnumeratorAgrees(evenKeys, { qLen: 9, kvLen: 13, blockSize: 4 });
    const mask = createBlockMask(evenKeys, 8, 8, { blockSize: 1 });
    expect(mask.fullKvNumBlocks[0]).toBe(4);
  });

  it('describes plain MaskMods by name and gives them a sweep enumerator', () => {
    function diagonal(_b: number, _h: number, q: number, kv: number) {
      return q === kv;
    }
    expect(describeMask(diagonal)).toBe('diagonal');
    expect(enumeratorOf(diagonal).fillBits).toBeUndefined();
    expect(() => definePattern(3 as never, { description: 'x' })).toThrow(/`predicate` must be a function/);
  });
});
