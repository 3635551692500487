import { IncompatibleOptionsError } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { defineEncoding, withContext } from './encoding-definition.js';
import { nope } from './nope.js';

describe('defineEncoding', () => {
  it('freezes capabilities and the description, deeply, and returns the same description each time', () => {
    const strengths = ['cheap'];
    const def = defineEncoding({
      name: 'toy',
      capabilities: { kind: 'none', trainable: 'never', extrapolates: true, extraMemory: 'none' },
      description: {
        title: 'Toy',
        formula: 'x',
        paper: { title: 'P', url: 'https://example.org' },
        strengths,
        weaknesses: [],
      },
      create: () => nope(),
    });
    strengths.push('mutated later');
    const d = def.describe();
    expect(d).toBe(def.describe());
    expect(d.strengths).toEqual(['cheap']);
    expect(d.name).toBe('toy');
    for (const o of [def, def.capabilities, d, d.paper, d.strengths, d.weaknesses])
      expect(Object.isFrozen(o)).toBe(true);
  });
});

describe('withContext', () => {
  it('merges the context fields and refuses options that would override them', () => {
    expect(withContext('rope', { base: 5 }, { headDim: 8 })).toEqual({ base: 5, headDim: 8 });
    expect(withContext('rope', undefined, { headDim: 8 })).toEqual({ headDim: 8 });
    expect(() => withContext('rope', { headDim: 4 }, { headDim: 8 })).toThrow(IncompatibleOptionsError);
    expect(() => withContext('rope', { headDim: 4 }, { headDim: 8 })).toThrow(
      /`headDim` comes from the model context/,
    );
  });
});
