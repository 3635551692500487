import {
  createMechanismRegistry,
  IncompatibleOptionsError,
  InvalidArgumentError,
  type OptionSpec,
  optionDefaults,
  resolveMechanismConfig,
  scoreMod,
} from '@efficient-attention/core';
import { describeBackends, expectTensorsClose, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { favorPlus } from '../feature-maps.js';
import { linearAttention } from '../linear-attention.js';
import { linearEluMechanism, linearReluMechanism, performerMechanism } from './linear-mechanisms.js';
import { type LinformerInstance, linformerMechanism } from './linformer-mechanism.js';
import { nystromformerMechanism } from './nystromformer-mechanism.js';
import { reformerLshMechanism } from './reformer-lsh-mechanism.js';
import { linearAttentionMechanisms, registerLinearAttention } from './register-linear-attention.js';

const context = { seed: 3, heads: 2, headDim: 8, seqLen: 24 };

describeBackends('registerLinearAttention', () => {
  it('registers six mechanisms explicitly, with frozen capabilities, and refuses a second registration', () => {
    const registry = createMechanismRegistry();
    registerLinearAttention(registry);
    expect(registry.names()).toEqual([
      'linear-elu',
      'linear-relu',
      'linformer',
      'nystromformer',
      'performer',
      'reformer-lsh',
    ]);
    expect(registry.get('linformer').capabilities.requiresFixedLength).toBe(true);
    expect(registry.get('performer').capabilities.family).toBe('linear');
    expect(registry.get('nystromformer').capabilities.family).toBe('low-rank');
    expect(registry.get('reformer-lsh').capabilities.family).toBe('hashing');
    expect(() => registerLinearAttention(registry)).toThrow(/already registered/);
  });

  it('performer draws its features once from the context seed: it equals linearAttention with that map', () => {
    const registry = createMechanismRegistry();
    registerLinearAttention(registry);
    const layer = registry.get('performer').create({ numFeatures: 16 }, context);
    const x = seededTensor([1, 2, 24, 8], 1).tensor;
    const out = layer.apply(x, x, x, { causal: true });
    const want = linearAttention(x, x, x, {
      featureMap: favorPlus({ numFeatures: 16, seed: 3 }),
      causal: true,
    });
    expectTensorsClose(out, want, { atol: 1e-6, rtol: 1e-5 });
    expect(() =>
      layer.apply(tf.zeros([1, 2, 24, 4]), tf.zeros([1, 2, 24, 4]), tf.zeros([1, 2, 24, 4])),
    ).toThrow(
      /`q.shape\[3\] \(headDim\)` must be 8 \(the context.headDim the mechanism was created with\), received 4/,
    );
    tf.dispose([x, out, want]);
    layer.dispose();
  });

  it('linformer: layerwise sharing passes one projection object from layer to layer', () => {
    const registry = createMechanismRegistry();
    registerLinearAttention(registry);
    const def = registry.get('linformer');
    const first = def.create({ sharing: 'layerwise', projectedLength: 6 }, context) as LinformerInstance;
    const second = def.create(
      { projections: first.projections },
      { ...context, seed: 4 },
    ) as LinformerInstance;
    expect(second.projections).toBe(first.projections);
    expect(Object.values(second.params)).toEqual([first.projections.e]);
    second.dispose(); // does not own them
    expect(first.projections.e.isDisposed).toBe(false);
    first.dispose();
    expect(first.projections.e.isDisposed).toBe(true);
    expect(() => def.create({}, { seed: 0, heads: 2, headDim: 8 })).toThrow(
      /`context.seqLen` must be the fixed sequence length/,
    );
  });

  it('rejects masks, score modifiers, unsupported causal and unknown config keys with reasons', () => {
    const registry = createMechanismRegistry();
    registerLinearAttention(registry);
    const x = tf.zeros([1, 2, 24, 8]);
    const mod = scoreMod({ name: 'zero', scalar: (s) => s });
    for (const name of registry.names()) {
      const layer = registry.get(name).create({}, context);
      expect(() => layer.apply(x, x, x, { mask: () => true })).toThrow(IncompatibleOptionsError);
      expect(() => layer.apply(x, x, x, { scoreMod: mod })).toThrow(/`scoreMod` is not supported/);
      expect(() => layer.apply(x, x, x, { window: 3 } as never)).toThrow(
        /`options.window` must be one of the known options/,
      );
      if (!registry.get(name).capabilities.supportsCausal) {
        expect(() => layer.apply(x, x, x, { causal: true })).toThrow(
          /causal attention is not supported: .*future/,
        );
      }
      // The option schema names the config object (`config.`; it was `options.` before the schema).
      expect(() => registry.get(name).create({ chunk: 1 } as never, context)).toThrow(
        /`config.chunk` must be one of the known options/,
      );
      layer.dispose();
    }
    expect(() => registry.get('nystromformer').create({ convKernelSize: 4 }, context)).toThrow(
      /`config.convKernelSize` must be 0 \(no skip\) or an odd integer ≥ 1, received 4/,
    );
    expect(() => registry.get('performer').create({ numFeatures: 0 }, context)).toThrow(
      /`config.numFeatures` must be an integer ≥ 1/,
    );
    x.dispose();
  });
});

/** A value `spec` refuses: below its minimum, outside its enum, or of the wrong type. */
function badValue(spec: OptionSpec): unknown {
  if (spec.type === 'number') return spec.min !== undefined ? spec.min - 1 : spec.positive ? 0 : 'many';
  if (spec.type === 'enum') return 'not-an-option';
  return 42;
}

describe('linearAttentionMechanisms', () => {
  it('lists the six definitions in registration order, each with a title, a paper and an option schema', () => {
    expect(linearAttentionMechanisms.map((d) => d.name)).toEqual([
      'linear-elu',
      'linear-relu',
      'performer',
      'linformer',
      'nystromformer',
      'reformer-lsh',
    ]);
    expect(Object.isFrozen(linearAttentionMechanisms)).toBe(true);
    for (const def of linearAttentionMechanisms) {
      expect(def.title.length, def.name).toBeGreaterThan(0);
      expect(def.paper.url, def.name).toMatch(/^https:\/\/arxiv\.org\/abs\/\d{4}\.\d{5}$/);
      expect(def.paper.authors.length, def.name).toBeGreaterThan(0);
      expect(def.paper.year, def.name).toBeGreaterThanOrEqual(2020);
      expect(Object.isFrozen(def.options), def.name).toBe(true);
      expect(def, def.name).not.toHaveProperty('capabilities.paper');
    }
    expect(linearAttentionMechanisms.map((d) => d.paper.url)).toEqual([
      'https://arxiv.org/abs/2006.16236',
      'https://arxiv.org/abs/2006.16236',
      'https://arxiv.org/abs/2009.14794',
      'https://arxiv.org/abs/2006.04768',
      'https://arxiv.org/abs/2102.03902',
      'https://arxiv.org/abs/2001.04451',
    ]);
  });

  it('describes every config key in the schema, with the defaults of defaultConfig', () => {
    for (const def of linearAttentionMechanisms) {
      expect(optionDefaults(def.options), def.name).toEqual(def.defaultConfig);
    }
  });

  it('refuses a bad value of every key with an error naming config.<key>, in create and in resolveMechanismConfig', () => {
    for (const def of linearAttentionMechanisms) {
      for (const [key, spec] of Object.entries(def.options)) {
        const config = { [key]: badValue(spec) };
        expect(() => def.create(config, context), `${def.name}.${key}`).toThrow(InvalidArgumentError);
        expect(() => def.create(config, context), `${def.name}.${key}`).toThrow(`\`config.${key}\``);
        expect(() => resolveMechanismConfig(def, config), `${def.name}.${key}`).toThrow(`\`config.${key}\``);
      }
      expect(() => def.create({ nope: 1 } as never, context)).toThrow(
        /`config.nope` must be one of the known/,
      );
    }
  });

  it("accepts 'auto' or a number where the schema says 'auto' (numFeatures, numBuckets), and refuses other numbers", () => {
    expect(resolveMechanismConfig(performerMechanism, { numFeatures: 64 })).toEqual({
      ...performerMechanism.defaultConfig,
      numFeatures: 64,
    });
    expect(resolveMechanismConfig(reformerLshMechanism, {})).toEqual(reformerLshMechanism.defaultConfig);
    expect(resolveMechanismConfig(reformerLshMechanism, { numBuckets: 8 })).toMatchObject({ numBuckets: 8 });
    expect(resolveMechanismConfig(reformerLshMechanism, { numBuckets: 1 })).toMatchObject({ numBuckets: 1 });
    expect(() => reformerLshMechanism.create({ numBuckets: 3 }, context)).toThrow(
      /`config.numBuckets` must be 1, an even integer ≥ 2, or 'auto', received 3/,
    );
    expect(() => performerMechanism.create({ numFeatures: 2.5 }, context)).toThrow(/`config.numFeatures`/);
    expect(() => linformerMechanism.create({ projections: {} as never }, context)).toThrow(
      /`config.projections` must be the `projections` of another linformer instance/,
    );
  });

  it('opts exactly the mechanisms the inference-scaling experiment times into benchmarks, with its configs', () => {
    const timed = linearAttentionMechanisms.filter((d) => d.benchmark !== undefined);
    expect(timed.map((d) => d.name)).toEqual(['linear-elu', 'performer']);
    expect(linearEluMechanism.benchmark).toEqual({ maxLength: 16384 });
    expect(linearEluMechanism.benchmark!.config).toBeUndefined();
    expect(performerMechanism.benchmark!.maxLength).toBe(16384);
    for (const n of [1024, 16384])
      expect(performerMechanism.benchmark!.config!(n)).toEqual({ numFeatures: 64 });
  });

  it('declares decoding only where it differs from the default (KV cache with cross-attention, else recompute)', () => {
    for (const def of [linformerMechanism, nystromformerMechanism, reformerLshMechanism]) {
      const inst = def.create({}, context);
      expect(inst.decoding, def.name).toBeUndefined();
      inst.dispose();
    }
    for (const def of [linearEluMechanism, linearReluMechanism, performerMechanism]) {
      const inst = def.create({}, context);
      expect(inst.decoding!({ causal: true, masked: false }).kind, def.name).toBe('recurrent');
      inst.dispose();
    }
  });
});
