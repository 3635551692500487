import { InvalidArgumentError } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { nope } from './nope.js';

describe('nope', () => {
  it('is an explicit encoding of kind none, with no variables and nothing to free', () => {
    const enc = nope();
    expect(enc.kind).toBe('none');
    expect(enc.name).toBe('nope');
    expect(enc.variables).toEqual({});
    expect(Object.isFrozen(enc)).toBe(true);
    expect(() => enc.dispose()).not.toThrow();
  });

  it('takes no options', () => {
    expect(() => nope({ dim: 4 } as never)).toThrow(InvalidArgumentError);
  });
});
