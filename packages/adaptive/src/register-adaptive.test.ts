import {
  createMechanismRegistry,
  InvalidArgumentError,
  type OptionSpec,
  optionDefaults,
} from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { adaptiveMechanisms, registerAdaptive } from './register-adaptive.js';

/** A value `spec` refuses: below its minimum, outside its enum, or of the wrong type. */
function badValue(spec: OptionSpec): unknown {
  if (spec.type === 'number') return spec.min !== undefined ? spec.min - 1 : spec.positive ? 0 : 'many';
  if (spec.type === 'enum') return 'not-an-option';
  return 42;
}

describe('registerAdaptive', () => {
  it('registers the five adaptive mechanisms once, with their capabilities as data', () => {
    const registry = createMechanismRegistry();
    registerAdaptive(registry);
    expect(registry.names()).toEqual([
      'adaptive-span',
      'dynamic-span',
      'entmax-alpha',
      'entmax15',
      'sparsemax',
    ]);
    expect(registry.list().every((d) => d.capabilities.family === 'adaptive')).toBe(true);
    expect(registry.get('adaptive-span').capabilities.accuracy.kind).toBe('exact');
    expect(
      ['adaptive-span', 'dynamic-span', 'entmax-alpha'].every(
        (n) => registry.get(n).capabilities.trainableParameters,
      ),
    ).toBe(true);
    expect(() => registerAdaptive(registry)).toThrow(/"adaptive-span" is already registered/);
  });
});

describe('adaptiveMechanisms', () => {
  it('lists the five definitions registerAdaptive registers, each with a title, a paper and an option schema', () => {
    expect(adaptiveMechanisms.map((d) => d.name)).toEqual([
      'adaptive-span',
      'dynamic-span',
      'sparsemax',
      'entmax15',
      'entmax-alpha',
    ]);
    expect(Object.isFrozen(adaptiveMechanisms)).toBe(true);
    for (const def of adaptiveMechanisms) {
      expect(def.title.length, def.name).toBeGreaterThan(0);
      expect(def.paper.url, def.name).toMatch(/^https:\/\/arxiv\.org\/abs\/\d{4}\.\d{5}$/);
      expect(def.paper.year, def.name).toBeGreaterThanOrEqual(2016);
      expect(def.paper.authors.length, def.name).toBeGreaterThan(0);
      expect(Object.isFrozen(def.options), def.name).toBe(true);
      expect(def, def.name).not.toHaveProperty('capabilities.paper');
    }
    expect(adaptiveMechanisms.map((d) => d.paper.url)).toEqual([
      'https://arxiv.org/abs/1905.07799',
      'https://arxiv.org/abs/1905.07799',
      'https://arxiv.org/abs/1602.02068',
      'https://arxiv.org/abs/1905.05702',
      'https://arxiv.org/abs/1909.00015',
    ]);
  });

  it('describes every config key in the schema, with the defaults of defaultConfig', () => {
    for (const def of adaptiveMechanisms) {
      expect(optionDefaults(def.options), def.name).toEqual(def.defaultConfig);
    }
  });

  it('refuses a bad value of every key with an error naming config.<key>', () => {
    const context = { seed: 0, heads: 2, headDim: 8 };
    for (const def of adaptiveMechanisms) {
      for (const [key, spec] of Object.entries(def.options)) {
        const create = () => def.create({ [key]: badValue(spec) }, context);
        expect(create, `${def.name}.${key}`).toThrow(InvalidArgumentError);
        expect(create, `${def.name}.${key}`).toThrow(`\`config.${key}\``);
      }
      expect(() => def.create({ nope: 1 } as never, context)).toThrow(
        /`config.nope` must be one of the known/,
      );
    }
  });

  it('declares the span penalty as adaptive-span’s regulariser, and opts none into the timing experiments', () => {
    const [adaptiveSpan] = adaptiveMechanisms;
    expect(adaptiveSpan!.regularization).toMatchObject({ key: 'spanPenalty', defaultWeight: 2e-6 });
    expect(adaptiveMechanisms.filter((d) => d.regularization !== undefined)).toHaveLength(1);
    // inference-scaling times none of them today (apps/experiments/src/presets.ts).
    expect(adaptiveMechanisms.filter((d) => d.benchmark !== undefined)).toEqual([]);
  });
});
