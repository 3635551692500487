import { assertKnownOptions, InvalidArgumentError } from '@efficient-attention/core';

/** Like core's `assertKnownOptions`, but for a required options object: `undefined` throws too. */
export function requireOptions<T extends object>(
  fn: string,
  options: T | undefined,
  allowed: readonly string[],
  required: string,
): asserts options is T {
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(fn, 'options', `an options object with ${required}`, options);
  }
  assertKnownOptions(fn, options, allowed);
}
