import {
  createMechanismRegistry,
  InvalidArgumentError,
  optionDefaults,
  resolveMechanismConfig,
} from '@efficient-attention/core';
import {
  describeBackends,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hammingMechanism } from './hamming-mechanism.js';
import { bitnetMechanisms, registerBitnet } from './register-bitnet.js';

describeBackends('registerBitnet', () => {
  it('registers `hamming` explicitly, once, with frozen capabilities', () => {
    const registry = createMechanismRegistry();
    expect(registry.names()).toEqual([]);
    registerBitnet(registry);
    expect(registry.names()).toEqual(['hamming']);
    const def = registry.get('hamming');
    expect(def.capabilities).toMatchObject({
      family: 'quantized',
      supportsCausal: true,
      supportsMask: false,
    });
    expect(def.capabilities.accuracy.kind).toBe('different');
    expect(Object.isFrozen(def.capabilities)).toBe(true);
    expect(() => registerBitnet(registry)).toThrow(/"hamming" is already registered/);
  });

  it('the created mechanism computes Hamming attention and refuses masks, score mods and bad config', () => {
    const registry = createMechanismRegistry();
    registerBitnet(registry);
    const def = registry.get('hamming');
    const inst = def.create({}, { seed: 0, heads: 2, headDim: 8 });
    const q = seededTensor([1, 2, 6, 8], 1);
    const out = inst.apply(q.tensor, q.tensor, q.tensor, { causal: true });
    const s = q.data.map((x) => (x > 0 ? 1 : -1));
    const ref = referenceAttention(
      { q: s, k: s, v: q.data, batch: 1, heads: 2, kvHeads: 2, qLen: 6, kvLen: 6, headDim: 8, valueDim: 8 },
      { causal: true },
    );
    // float32 softmax over ≤ 6 keys: atol 1e-5.
    expectTensorsClose(out, ref.output, { atol: 1e-5, rtol: 1e-4 });
    expect(() => inst.apply(q.tensor, q.tensor, q.tensor, { mask: () => true })).toThrow(
      /does not take a mask/,
    );
    expect(() => inst.apply(q.tensor, q.tensor, q.tensor, { scoreMod: {} as never })).toThrow(
      /does not take a score modifier/,
    );
    expect(() => def.create({ ste: 'tanh' } as object, { seed: 0, heads: 2, headDim: 8 })).toThrow(
      /`config.ste` must be "clipped" or "identity"/,
    );
    // The option schema names the config object (`config.`; it was `options.` before the schema).
    expect(() => def.create({ blockSize: 4 } as object, { seed: 0, heads: 2, headDim: 8 })).toThrow(
      /`config.blockSize` must be one of the known/,
    );
    tf.dispose([q.tensor, out]);
    inst.dispose();
  });
});

describe('bitnetMechanisms', () => {
  it('lists hamming with its title, paper (XNOR-Net) and option schema, whose defaults are defaultConfig', () => {
    expect(bitnetMechanisms).toEqual([hammingMechanism]);
    expect(Object.isFrozen(bitnetMechanisms)).toBe(true);
    expect(hammingMechanism.title).toBe('Hamming (XNOR-popcount)');
    expect(hammingMechanism.paper).toMatchObject({
      url: 'https://arxiv.org/abs/1603.05279',
      year: 2016,
      venue: 'ECCV',
    });
    expect(hammingMechanism).not.toHaveProperty('capabilities.paper');
    expect(optionDefaults(hammingMechanism.options)).toEqual(hammingMechanism.defaultConfig);
    expect(hammingMechanism.benchmark).toBeUndefined();
  });

  it('refuses a bad value of every key with an error naming config.<key>, in create and in resolveMechanismConfig', () => {
    const context = { seed: 0, heads: 2, headDim: 8 };
    expect(Object.keys(hammingMechanism.options)).toEqual(['ste']);
    for (const bad of ['tanh', 1, true]) {
      expect(() => hammingMechanism.create({ ste: bad as never }, context)).toThrow(InvalidArgumentError);
      expect(() => hammingMechanism.create({ ste: bad as never }, context)).toThrow('`config.ste`');
      expect(() => resolveMechanismConfig(hammingMechanism, { ste: bad })).toThrow('`config.ste`');
    }
    expect(resolveMechanismConfig(hammingMechanism, { ste: 'identity' })).toEqual({ ste: 'identity' });
  });

  it('decodes with the default KV cache: it supports cross-attention and declares no decoding hook', () => {
    const inst = hammingMechanism.create({}, { seed: 0, heads: 2, headDim: 8 });
    expect(hammingMechanism.capabilities.supportsCrossAttention).toBe(true);
    expect(inst.decoding).toBeUndefined();
    inst.dispose();
  });
});
