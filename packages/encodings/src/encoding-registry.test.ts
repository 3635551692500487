import { InvalidArgumentError, optionDefaults, RegistryError } from '@efficient-attention/core';
import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { alibi } from './alibi.js';
import { createEncodingRegistry, encodingDefinitions, registerEncodings } from './encoding-registry.js';
import { learnedPosition } from './learned-position.js';
import { linearPosition } from './linear-position.js';
import { nope } from './nope.js';
import { rope } from './rope.js';
import { sinusoidal } from './sinusoidal.js';
import { t5RelativeBias } from './t5-relative-bias.js';
import type { PositionalEncoding } from './types.js';

const context = { modelDim: 12, heads: 3, headDim: 8, maxLength: 16, seed: 1 };

describeBackends('encoding registry', () => {
  it('registers every encoding once, explicitly, with frozen capabilities and descriptions', () => {
    const registry = createEncodingRegistry();
    expect(registry.names()).toEqual([]);
    registerEncodings(registry);
    expect(registry.names()).toEqual(['alibi', 'learned', 'linear', 'nope', 'rope', 'sinusoidal', 't5']);
    expect(() => registerEncodings(registry)).toThrow(RegistryError);
    expect(() => registry.get('xpos')).toThrow(/known: alibi, learned/);
    for (const def of registry.list()) {
      expect(Object.isFrozen(def.capabilities)).toBe(true);
      const d = def.describe();
      expect(Object.isFrozen(d)).toBe(true);
      expect(d.name).toBe(def.name);
      expect(d.paper.url).toMatch(/^https:\/\/arxiv\.org\/abs\/\d{4}\.\d{4,5}$/);
      expect(d.paper).toBe(def.paper);
      expect(d.title).toBe(def.title);
      expect(def.paper.year).toBeGreaterThan(2000);
      expect(def.paper.authors.length).toBeGreaterThan(2);
      expect(Object.isFrozen(def.options)).toBe(true);
      for (const [key, spec] of Object.entries(def.options))
        expect(spec.description.length, `${def.name}.${key}`).toBeGreaterThan(5);
      expect(d.formula.length).toBeGreaterThan(5);
      expect(d.strengths.length).toBeGreaterThan(0);
      expect(d.weaknesses.length).toBeGreaterThan(0);
    }
  });

  it('creates each encoding from the model context; capabilities match what it creates', () => {
    const created: string[] = [];
    for (const def of encodingDefinitions) {
      const enc = def.create({}, context);
      created.push(`${def.name}:${enc.kind}`);
      expect(enc.kind).toBe(def.capabilities.kind);
      const trainable = Object.keys(enc.variables).length > 0;
      expect(def.capabilities.trainable === 'always' ? trainable : !trainable).toBe(true);
      if (enc.kind === 'additive') expect(enc.dim).toBe(context.modelDim);
      if (enc.kind === 'rotary') expect(enc.headDim).toBe(context.headDim);
      if (enc.kind === 'bias') expect(enc.heads).toBe(context.heads);
      enc.dispose();
    }
    expect(created).toEqual([
      'sinusoidal:additive',
      'linear:additive',
      'learned:additive',
      'rope:rotary',
      'alibi:bias',
      't5:bias',
      'nope:none',
    ]);
    // Optional trainability is an option.
    const before = tf.memory().numTensors;
    const alibi = encodingDefinitions[4]!.create({ learnable: true }, context);
    expect(Object.keys(alibi.variables)).toEqual(['slopes']);
    alibi.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes options through and refuses shape fields that the context decides', () => {
    const rope = encodingDefinitions[3]!.create({ base: 500000, rotaryDim: 4 }, context);
    expect(rope.kind === 'rotary' && rope.rotaryDim).toBe(4);
    rope.dispose();
    expect(() => encodingDefinitions[3]!.create({ headDim: 16 }, context)).toThrow(
      /comes from the model context/,
    );
    expect(() => encodingDefinitions[0]!.create({ basis: 3 } as never, context)).toThrow(/options\.basis/);
  });
});

describeBackends('encoding option schemas', () => {
  /** What an encoding computes, as plain arrays (its variables' names included). */
  const fingerprint = (enc: PositionalEncoding): unknown => {
    const variables = Object.keys(enc.variables);
    const out = tf.tidy(() => {
      if (enc.kind === 'additive') return enc.encode(6);
      if (enc.kind === 'bias') return enc.bias(5, 7);
      if (enc.kind === 'rotary') {
        const x = tf.reshape(tf.range(0, 2 * 5 * context.headDim, 1, 'float32'), [1, 2, 5, context.headDim]);
        return enc.rotate(tf.sin(tf.mul(x, 0.1)));
      }
      return tf.zeros([0]);
    });
    const values = out.arraySync();
    out.dispose();
    return { kind: enc.kind, variables, values };
  };

  it('has defaults equal to the encoding functions’ own defaults', () => {
    // Each function called with the context's fields only, so it uses its own defaults.
    const direct: Record<string, () => PositionalEncoding> = {
      sinusoidal: () => sinusoidal({ dim: context.modelDim }),
      linear: () => linearPosition({ dim: context.modelDim }),
      learned: () =>
        learnedPosition({ dim: context.modelDim, maxLength: context.maxLength, seed: context.seed }),
      rope: () => rope({ headDim: context.headDim }),
      alibi: () => alibi({ heads: context.heads }),
      t5: () => t5RelativeBias({ heads: context.heads, seed: context.seed }),
      nope: () => nope(),
    };
    expect(Object.keys(direct).sort()).toEqual(encodingDefinitions.map((d) => d.name).sort());
    for (const def of encodingDefinitions) {
      // Every default passed explicitly, against the function filling in its own.
      const viaSchema = def.create(optionDefaults(def.options), context);
      const own = direct[def.name]!();
      expect(fingerprint(viaSchema), def.name).toEqual(fingerprint(own));
      viaSchema.dispose();
      own.dispose();
    }
  });

  it('rejects unknown options, wrong types and out-of-range values, naming the option', () => {
    const byName = Object.fromEntries(encodingDefinitions.map((d) => [d.name, d]));
    const cases: [string, object, RegExp][] = [
      ['sinusoidal', { base: 'big' }, /sinusoidal: `options.base` must be a finite number > 0/],
      ['linear', { trainable: 1 }, /linear: `options.trainable` must be a boolean/],
      ['learned', { initStd: -1 }, /learned: `options.initStd` must be a finite number ≥ 0/],
      ['rope', { layout: 'split' }, /rope: `options.layout` must be one of 'half-split', 'interleaved'/],
      ['rope', { rotaryDim: 3.5 }, /rope: `options.rotaryDim` must be an integer ≥ 2/],
      ['alibi', { slopes: [1] }, /alibi: `options.slopes` must be one of the known options \(learnable\)/],
      ['t5', { numBuckets: 1 }, /t5: `options.numBuckets` must be an integer ≥ 2/],
      ['nope', { anything: true }, /nope: `options.anything` must be one of the known options/],
    ];
    for (const [name, options, message] of cases) {
      expect(() => byName[name]!.create(options, context), name).toThrow(message);
      expect(() => byName[name]!.create(options, context), name).toThrow(InvalidArgumentError);
    }
    // The functions keep their stricter checks: T5 needs ≥ 4 buckets when bidirectional.
    expect(() => byName.t5!.create({ numBuckets: 2 }, context)).toThrow(
      /`options.numBuckets` must be an integer ≥ 4/,
    );
    // Object options pass to the function, which validates them.
    expect(() => byName.rope!.create({ xpos: { gama: 1 } }, context)).toThrow(/gama/);
    const scaled = byName.rope!.create({ scaling: { type: 'linear', factor: 2 }, xpos: true }, context);
    expect(scaled.kind).toBe('rotary');
    scaled.dispose();
  });
});

describe('the package on import', () => {
  it('registers nothing: a fresh import has an empty default registry (sideEffects: false)', async () => {
    // Other test files in this worker may have called registerEncodings(); a fresh module graph has not.
    vi.resetModules();
    const fresh = await import('./index.js');
    expect(fresh.positionalEncodings.names()).toEqual([]);
  });
});
