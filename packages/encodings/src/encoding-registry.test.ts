import { RegistryError } from '@efficient-attention/core';
import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { EncodingRegistry, encodingDefinitions, registerEncodings } from './encoding-registry.js';

const context = { modelDim: 12, heads: 3, headDim: 8, maxLength: 16, seed: 1 };

describeBackends('encoding registry', () => {
  it('registers every encoding once, explicitly, with frozen capabilities and descriptions', () => {
    const registry = new EncodingRegistry();
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

describe('the package on import', () => {
  it('registers nothing: a fresh import has an empty default registry (sideEffects: false)', async () => {
    // Other test files in this worker may have called registerEncodings(); a fresh module graph has not.
    vi.resetModules();
    const fresh = await import('./index.js');
    expect(fresh.positionalEncodings.names()).toEqual([]);
  });
});
