import { IncompatibleOptionsError, InvalidArgumentError, paper } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { defineEncoding, withContext } from './encoding-definition.js';
import { nope } from './nope.js';

describe('defineEncoding', () => {
  it('freezes capabilities and the description, deeply, and returns the same description each time', () => {
    const strengths = ['cheap'];
    const def = defineEncoding({
      name: 'toy',
      title: 'Toy',
      paper: { title: 'P', authors: 'A', year: 2020, url: 'https://example.org' },
      capabilities: { kind: 'none', trainable: 'never', extrapolates: true, extraMemory: 'none' },
      options: { scale: { type: 'number', default: 1, description: 'Scale.' } },
      description: {
        formula: 'x',
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
    // One title and one paper: the description's are the definition's.
    expect(d.title).toBe('Toy');
    expect(d.paper).toBe(def.paper);
    for (const o of [def.options, def.options.scale, def.objectOptions, def.contextOptions])
      expect(Object.isFrozen(o)).toBe(true);
  });

  it('validates options against the schema, fills in defaults, and passes object options through', () => {
    const seen: unknown[] = [];
    const def = defineEncoding<{ scale?: number; mode?: string; extra?: object }>({
      name: 'toy',
      title: 'Toy',
      paper: paper('P', 'A', 2020, 'https://example.org'),
      capabilities: { kind: 'none', trainable: 'never', extrapolates: true, extraMemory: 'none' },
      options: {
        scale: { type: 'number', min: 0, default: 1, description: 'Scale.' },
        mode: { type: 'enum', values: ['a', 'b'], description: 'Mode.' },
      },
      objectOptions: { extra: 'Anything.' },
      contextOptions: ['dim'],
      description: { formula: 'x', strengths: [], weaknesses: [] },
      create: (options) => {
        seen.push(options);
        return nope();
      },
    });
    const context = { modelDim: 4, heads: 1, headDim: 4, maxLength: 8, seed: 0 };
    def.create({}, context);
    def.create({ mode: 'b', extra: { x: 1 } }, context);
    expect(seen).toEqual([{ scale: 1 }, { scale: 1, mode: 'b', extra: { x: 1 } }]);
    expect(() => def.create({ scale: -1 }, context)).toThrow(
      /toy: `options.scale` must be a finite number ≥ 0/,
    );
    expect(() => def.create({ mode: 'c' }, context)).toThrow(/`options.mode` must be one of 'a', 'b'/);
    expect(() => def.create({ scal: 1 } as never, context)).toThrow(
      /`options.scal` must be one of the known options \(scale, mode, extra\)/,
    );
    expect(() => def.create({ dim: 3 } as never, context)).toThrow(IncompatibleOptionsError);
    expect(() => def.create(5 as never, context)).toThrow(InvalidArgumentError);
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
