import { InvalidArgumentError } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { requireOptions } from './require-options.js';

describe('requireOptions', () => {
  it('accepts an object of known keys and rejects a missing object or an unknown key', () => {
    expect(() => requireOptions('f', { a: 1 }, ['a', 'b'], '`a`')).not.toThrow();
    expect(() => requireOptions('f', undefined, ['a'], '`a`')).toThrow(
      /f: `options` must be an options object with `a`/,
    );
    expect(() => requireOptions('f', 3 as never, ['a'], '`a`')).toThrow(InvalidArgumentError);
    expect(() => requireOptions('f', { c: 1 }, ['a', 'b'], '`a`')).toThrow(/`options\.c`.*\(a, b\)/);
  });
});
