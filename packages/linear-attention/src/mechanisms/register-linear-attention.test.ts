import { IncompatibleOptionsError, MechanismRegistry, scoreMod } from '@efficient-attention/core';
import { describeBackends, expectTensorsClose, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { favorPlus } from '../feature-maps.js';
import { linearAttention } from '../linear-attention.js';
import type { LinformerInstance } from './linformer-mechanism.js';
import { registerLinearAttention } from './register-linear-attention.js';

const context = { seed: 3, heads: 2, headDim: 8, seqLen: 24 };

describeBackends('registerLinearAttention', () => {
  it('registers six mechanisms explicitly, with frozen capabilities, and refuses a second registration', () => {
    const registry = new MechanismRegistry();
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
    const registry = new MechanismRegistry();
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
    const registry = new MechanismRegistry();
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
    const registry = new MechanismRegistry();
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
      expect(() => registry.get(name).create({ chunk: 1 } as never, context)).toThrow(
        /`options.chunk` must be one of the known options/,
      );
      layer.dispose();
    }
    expect(() => registry.get('nystromformer').create({ convKernelSize: 4 }, context)).toThrow(
      /`config.convKernelSize` must be 0 \(no skip\) or an odd integer ≥ 1, received 4/,
    );
    expect(() => registry.get('performer').create({ numFeatures: 0 }, context)).toThrow(
      /`options.numFeatures` must be an integer ≥ 1/,
    );
    x.dispose();
  });
});
