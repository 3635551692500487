import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { checkOption, defineOptions, optionDefaults, resolveOptions } from './option-schema.js';

const schema = defineOptions({
  radius: { type: 'number', integer: true, min: 0, default: 4, description: 'Keys each side.' },
  temperature: { type: 'number', positive: true, description: 'Softmax temperature.' },
  causal: { type: 'boolean', default: false, description: 'Mask future keys.' },
  execution: { type: 'enum', values: ['dense', 'block-sparse'], default: 'dense', description: 'How.' },
  pattern: { type: 'string', description: 'A pattern name.' },
  indices: { type: 'integer-list', min: 0, default: [0], description: 'Global tokens.' },
});

describe('option schemas', () => {
  it('fills defaults and keeps given values', () => {
    expect(optionDefaults(schema)).toEqual({ radius: 4, causal: false, execution: 'dense', indices: [0] });
    expect(resolveOptions('f', 'options', schema, { radius: 2, temperature: 0.5 })).toEqual({
      radius: 2,
      temperature: 0.5,
      causal: false,
      execution: 'dense',
      indices: [0],
    });
    expect(resolveOptions('f', 'options', schema, undefined)).toEqual(optionDefaults(schema));
    expect(Object.isFrozen(schema.radius)).toBe(true);
  });

  it('names the parameter, the expected and the received value for every kind of bad value', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ radius: -1 }, /`options\.radius` must be an integer ≥ 0, received -1/],
      [{ radius: 1.5 }, /`options\.radius` must be an integer ≥ 0, received 1\.5/],
      [{ radius: Number.NaN }, /`options\.radius` must be an integer ≥ 0, received NaN/],
      [{ temperature: 0 }, /`options\.temperature` must be a finite number > 0, received 0/],
      [{ causal: 'yes' }, /`options\.causal` must be a boolean, received "yes"/],
      [
        { execution: 'flash' },
        /`options\.execution` must be one of 'dense', 'block-sparse', received "flash"/,
      ],
      [{ pattern: 3 }, /`options\.pattern` must be a string, received 3/],
      [{ indices: [0, -1] }, /`options\.indices` must be an array of integers ≥ 0, received \[0, -1\]/],
      [{ radios: 3 }, /`options\.radios` must be one of the known options \(radius, temperature/],
    ];
    for (const [given, message] of bad) {
      expect(() => resolveOptions('f', 'options', schema, given)).toThrow(InvalidArgumentError);
      expect(() => resolveOptions('f', 'options', schema, given)).toThrow(message);
    }
    expect(() => resolveOptions('f', 'config', schema, [1])).toThrow(/`config` must be an options object/);
    expect(() => checkOption('g', 'x', schema.radius, '3')).toThrow(
      /g: `x` must be an integer ≥ 0, received "3"/,
    );
  });
});
