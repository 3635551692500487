import { InvalidArgumentError } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { resolvePositions } from './positions.js';

describe('resolvePositions', () => {
  it('turns an offset (default 0) into a range and a list into int32 values with their maximum', () => {
    expect(resolvePositions('f', 'p', undefined, 3)).toEqual({ kind: 'range', start: 0, count: 3, max: 2 });
    expect(resolvePositions('f', 'p', 10, 4)).toEqual({ kind: 'range', start: 10, count: 4, max: 13 });
    const list = resolvePositions('f', 'p', [4, 0, 9, 9], 4);
    expect(list.kind === 'list' && Array.from(list.values)).toEqual([4, 0, 9, 9]);
    expect(list.max).toBe(9);
    expect(resolvePositions('f', 'p', Int32Array.of(2, 1), 2).max).toBe(2);
  });

  it('names the parameter and the bad entry', () => {
    const bad: Array<[() => unknown, RegExp]> = [
      [
        () => resolvePositions('rope.apply', 'options.positions', -1, 2),
        /rope\.apply: `options\.positions`.*received -1/,
      ],
      [() => resolvePositions('f', 'p', 0.5, 2), /`p`/],
      [() => resolvePositions('f', 'p', [0, 1, 2], 2), /`p\.length` must be 2/],
      [() => resolvePositions('f', 'p', [0, -1], 2), /`p\[1\]`/],
      [() => resolvePositions('f', 'p', [0, Number.NaN], 2), /`p\[1\]`/],
      [() => resolvePositions('f', 'p', 'abc' as never, 3), /`p`/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
  });
});
