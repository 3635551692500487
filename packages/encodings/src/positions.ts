import { InvalidArgumentError } from '@efficient-attention/core';
import type { Positions } from './types.js';

/** Validated positions of `count` rows: a contiguous range, or an explicit list. */
export type ResolvedPositions =
  | { readonly kind: 'range'; readonly start: number; readonly count: number; readonly max: number }
  | { readonly kind: 'list'; readonly values: Int32Array; readonly count: number; readonly max: number };

/**
 * Checks `positions` (an offset, or one position per row) for a sequence of `count` rows and returns
 * them resolved. Positions are non-negative integers; a list must have exactly `count` entries.
 */
export function resolvePositions(
  fn: string,
  parameter: string,
  positions: Positions | undefined,
  count: number,
): ResolvedPositions {
  if (positions === undefined || typeof positions === 'number') {
    const start = positions ?? 0;
    if (!Number.isInteger(start) || start < 0) {
      throw new InvalidArgumentError(
        fn,
        parameter,
        'a non-negative integer offset or a list of positions',
        start,
      );
    }
    return { kind: 'range', start, count, max: start + count - 1 };
  }
  if (positions === null || typeof positions !== 'object' || typeof positions.length !== 'number') {
    throw new InvalidArgumentError(
      fn,
      parameter,
      'a non-negative integer offset or a list of positions',
      positions,
    );
  }
  if (positions.length !== count) {
    throw new InvalidArgumentError(
      fn,
      `${parameter}.length`,
      `${count} (one position per row)`,
      positions.length,
    );
  }
  const values = new Int32Array(count);
  let max = 0;
  for (let i = 0; i < count; i++) {
    const p = positions[i];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 0x7fffffff) {
      throw new InvalidArgumentError(fn, `${parameter}[${i}]`, 'a non-negative integer position', p);
    }
    values[i] = p;
    max = Math.max(max, p);
  }
  return { kind: 'list', values, count, max };
}
