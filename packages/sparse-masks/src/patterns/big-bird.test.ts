import { hashSeed } from '@efficient-attention/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { bigBird } from './big-bird.js';

describe('bigBird', () => {
  it('draws the documented random blocks beside the global and window blocks', () => {
    expectPicture(
      bigBird({ seqLen: 12, blockSize: 2, windowBlocks: 1, globalBlocks: 1, randomBlocks: 1, seed: 3 }),
      `
      ████████████
      ████████████
      ██████······
      ██████······
      ██████······
      ██████······
      ██····████··
      ██····████··
      ██····████··
      ██····████··
      ████······██
      ████······██`,
    );
    // Every non-global row of blocks: its window, the global blocks (g = 2: the first and the last) and
    // exactly r random blocks drawn (Floyd on hashSeed(seed, h, row, j)) from the blocks outside both, in
    // ascending order.
    const n = 10;
    const [g, w, r, seed] = [2, 3, 3, 9];
    const grid = createMaskArray(
      bigBird({ seqLen: 4 * n, blockSize: 4, windowBlocks: w, globalBlocks: g, randomBlocks: r, seed }),
      4 * n,
      4 * n,
    )[0]![0]!;
    for (let a = 1; a < n - 1; a++) {
      const pool = [...Array(n).keys()].filter((c) => c >= 1 && c < n - 1 && Math.abs(c - a) > 1);
      const picked = new Set<number>();
      const k = Math.min(r, pool.length);
      for (let j = pool.length - k; j < pool.length; j++) {
        const t = Math.floor(((hashSeed(seed, 0, a, j) >>> 0) / 2 ** 32) * (j + 1));
        picked.add(picked.has(t) ? j : t);
      }
      const expected = new Set(
        [0, n - 1, a - 1, a, a + 1, ...[...picked].map((i) => pool[i]!)].filter((c) => c < n),
      );
      const seen = new Set(grid[4 * a]!.flatMap((x, kv) => (x ? [Math.floor(kv / 4)] : [])));
      expect([...seen].sort((x, y) => x - y)).toEqual([...expected].sort((x, y) => x - y));
    }
  });

  it('makes the first ⌈g/2⌉ and the last ⌊g/2⌋ blocks global (the paper’s ITC and HF: first and last for g = 2)', () => {
    const n = 8;
    for (const g of [1, 2, 3, 4]) {
      const grid = createMaskArray(
        bigBird({ seqLen: 2 * n, blockSize: 2, windowBlocks: 1, globalBlocks: g, randomBlocks: 0 }),
        2 * n,
        2 * n,
      )[0]![0]!;
      const globals = new Set<number>();
      for (let c = 0; c < Math.ceil(g / 2); c++) globals.add(c);
      for (let c = n - Math.floor(g / 2); c < n; c++) globals.add(c);
      for (let q = 0; q < 2 * n; q++) {
        const a = Math.floor(q / 2);
        for (let kv = 0; kv < 2 * n; kv++) {
          const c = Math.floor(kv / 2);
          // Window 1 (the diagonal block), no random blocks: global rows, global columns, the diagonal.
          const allowed = globals.has(a) || globals.has(c) || a === c;
          expect(grid[q]![kv], `g=${g} q=${q} kv=${kv}`).toBe(allowed);
        }
      }
    }
  });

  it('has an enumerator that agrees with the predicate; with the same block size every block is full', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(1, 3, 5),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        (seqLen, size, blockSize, windowBlocks, globalBlocks, randomBlocks, perHead) => {
          const pattern = bigBird({
            seqLen,
            blockSize: size,
            windowBlocks,
            globalBlocks,
            randomBlocks,
            perHead,
            seed: 5,
          });
          expectEnumeratorAgrees(pattern, { qLen: seqLen, kvLen: seqLen, blockSize, heads: 2, seed: size });
          expect(
            createBlockMask(pattern, seqLen, seqLen, { blockSize: size, heads: 2 }).numPartialBlocks,
          ).toBe(0);
        },
      ),
      { numRuns: 25, seed: 13 },
    );
  });

  it('rejects an even window, other lengths and bad options', () => {
    expect(() => bigBird({ seqLen: 64, windowBlocks: 2 })).toThrow(
      /`options.windowBlocks` must be an odd integer ≥ 1/,
    );
    expect(() => createBlockMask(bigBird({ seqLen: 64 }), 64, 32)).toThrow(/qLen = kvLen = 64/);
    expect(() => bigBird({ seqLen: 64, randomBlocks: -1 })).toThrow(
      /`options.randomBlocks` must be an integer ≥ 0/,
    );
  });
});
