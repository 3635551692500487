import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  IncompatibleOptionsError,
} from '@efficient-attention/core';

/** How far a window reaches: `radius` (both sides), or `before` / `after` (each defaults to 0). */
export interface WindowExtent {
  /** Keys before the query (kv ≥ q − before). Default 0 (or `radius`). */
  before?: number;
  /** Keys after the query (kv ≤ q + after). Default 0 (or `radius`). */
  after?: number;
  /** Shorthand for `before = after = radius`. */
  radius?: number;
}

/**
 * Validates a window's extent (unknown keys, integers ≥ 0, `radius` not mixed with `before`/`after`, at
 * least one given) and returns `{ before, after }`.
 */
export function resolveWindowExtent(
  fn: string,
  options: WindowExtent | undefined,
  extraKeys: readonly string[] = [],
): { before: number; after: number } {
  assertKnownOptions(fn, options, ['before', 'after', 'radius', ...extraKeys]);
  const o = options ?? {};
  if (o.radius !== undefined && (o.before !== undefined || o.after !== undefined)) {
    throw new IncompatibleOptionsError(
      fn,
      '`radius` sets both `before` and `after`; pass either `radius` or `before`/`after`, not both.',
    );
  }
  if (o.radius === undefined && o.before === undefined && o.after === undefined) {
    throw new IncompatibleOptionsError(fn, 'give the window: `radius`, or `before` and/or `after`.');
  }
  if (o.radius !== undefined) {
    assertNumber(fn, 'options.radius', o.radius, { integer: true, min: 0 });
    return { before: o.radius, after: o.radius };
  }
  const before = o.before ?? 0;
  const after = o.after ?? 0;
  assertNumber(fn, 'options.before', before, { integer: true, min: 0 });
  assertNumber(fn, 'options.after', after, { integer: true, min: 0 });
  return { before, after };
}

/**
 * The schema of a window's extent, shared by the window patterns' definitions (`sliding-window`,
 * `dilated-sliding-window`, `longformer`). No defaults: a missing side is 0 only when `radius` is absent,
 * which {@link resolveWindowExtent} decides.
 */
export const windowExtentOptions = defineOptions({
  radius: {
    type: 'number',
    integer: true,
    min: 0,
    description: 'Keys on each side of the query (sets `before` and `after`; not combined with them).',
  },
  before: {
    type: 'number',
    integer: true,
    min: 0,
    description: 'Keys before the query, kv ≥ q − before (0 when only `after` is given).',
  },
  after: {
    type: 'number',
    integer: true,
    min: 0,
    description: 'Keys after the query, kv ≤ q + after (0 when only `before` is given).',
  },
});
