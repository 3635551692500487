import { MechanismRegistry } from '@efficient-attention/core';
import {
  describeBackends,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { registerBitnet } from './register-bitnet.js';

describeBackends('registerBitnet', () => {
  it('registers `hamming` explicitly, once, with frozen capabilities', () => {
    const registry = new MechanismRegistry();
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
    const registry = new MechanismRegistry();
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
    expect(() => def.create({ blockSize: 4 } as object, { seed: 0, heads: 2, headDim: 8 })).toThrow(
      /`options.blockSize` must be one of the known/,
    );
    tf.dispose([q.tensor, out]);
    inst.dispose();
  });
});
