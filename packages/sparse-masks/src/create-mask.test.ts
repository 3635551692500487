import type { MaskMod } from '@efficient-attention/core';
import { describeBackends, expectNoLeaks } from '@efficient-attention/test-utils';
import { expect, it } from 'vitest';
import { createMask, createMaskArray } from './create-mask.js';
import { causal } from './patterns/causal.js';
import { slidingWindow } from './patterns/sliding-window.js';

// Depends on every coordinate, so a wrong broadcast or plane order shows.
const scrambled: MaskMod = (b, h, q, kv) => (q * 5 + kv * 3 + h * 7 + b * 11) % 4 < 2;

describeBackends('createMask / createMaskArray', () => {
  it('evaluates the predicate at every (b, h, q, kv), in row-major order', () => {
    const t = createMask(scrambled, 5, 7, { batch: 2, heads: 3 });
    expect(t.shape).toEqual([2, 3, 5, 7]);
    expect(t.dtype).toBe('bool');
    const values = t.dataSync();
    let i = 0;
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 3; h++)
        for (let q = 0; q < 5; q++)
          for (let kv = 0; kv < 7; kv++) expect(values[i++]).toBe(scrambled(b, h, q, kv) ? 1 : 0);
    const rows = createMaskArray(scrambled, 5, 7, { batch: 2, heads: 3 });
    expect(rows.flat(3)).toEqual(Array.from(values, (x) => x === 1));
    t.dispose();
  });

  it('copies invariant masks to every plane, and leaks nothing', () => {
    const headOnly: MaskMod = Object.assign(
      (_b: number, h: number, q: number, kv: number) => (q + kv + h) % 3 === 0,
      {
        batchInvariant: true,
      },
    );
    const grid = createMaskArray(headOnly, 4, 4, { batch: 3, heads: 2 });
    expect(grid[2]).toEqual(grid[0]);
    expect(grid[0]![1]).not.toEqual(grid[0]![0]);
    expect(createMaskArray(causal(), 3, 3)[0]![0]).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
    expectNoLeaks(() => createMask(slidingWindow({ radius: 1 }), 6, 6, { heads: 2 }));
  });

  it('rejects bad lengths, options and masks', () => {
    expect(() => createMask(causal(), 0, 3)).toThrow(/createMask: `qLen` must be an integer ≥ 1, received 0/);
    expect(() => createMask(causal(), 3, 3, { batch: 1.5 })).toThrow(
      /`options.batch` must be an integer ≥ 1/,
    );
    expect(() => createMask(causal(), 3, 3, { blockSize: 2 } as never)).toThrow(
      /`options.blockSize` must be one of/,
    );
    expect(() => createMaskArray('causal' as never, 3, 3)).toThrow(/`maskMod` must be a MaskMod/);
    expect(() => createMask(causal({ qLen: 2, kvLen: 3 }), 3, 3)).toThrow(/qLen 2, kvLen 3/);
  });
});
