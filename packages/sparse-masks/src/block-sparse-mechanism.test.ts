import { MechanismRegistry, scaledDotProductAttention, scoreMod } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { blockSparseMechanism, registerSparseMasks } from './block-sparse-mechanism.js';

// float32 block-sparse vs float32 dense over ≤ 48 keys: both round differently; well inside 1e-5 / 1e-4.
const TOL = { atol: 1e-5, rtol: 1e-4 };
const context = { seed: 3, heads: 4, headDim: 8 };

describeBackends('block-sparse mechanism', () => {
  it('equals dense attention under denseEquivalent for configs, causal, cross-attention, GQA and masks', () => {
    const configs = [
      {},
      { pattern: 'sliding-window', before: 5, after: 2, blockSize: 8 },
      { pattern: 'longformer', radius: 3, globalIndices: [0], blockSize: 16 },
      { pattern: 'random', density: 0.2, perHead: true, blockSize: 8 },
      { pattern: 'strided', stride: 5, blockSize: 8 },
    ];
    const q = seededTensor([2, 4, 40, 8], 1);
    const k = seededTensor([2, 2, 48, 8], 2);
    const v = seededTensor([2, 2, 48, 6], 3);
    const padding = tf.tensor4d(
      Array.from({ length: 2 * 48 }, (_, i) => (i % 48 < 44 || i < 48 ? 1 : 0)),
      [2, 1, 1, 48],
      'bool',
    );
    const optionSets = [
      {},
      { causal: true },
      { mask: (_b: number, h: number, qi: number, kv: number) => (qi + kv + h) % 3 !== 0 },
      { mask: padding, causal: true },
      { scoreMod: scoreMod({ name: 'halve', scalar: (s) => s / 2, tensor: (s) => tf.div(s, 2) }) },
    ];
    for (const config of configs) {
      const inst = blockSparseMechanism.create(config, context);
      for (const options of optionSets) {
        const out = inst.apply(q.tensor, k.tensor, v.tensor, options);
        const dense = scaledDotProductAttention(
          q.tensor,
          k.tensor,
          v.tensor,
          inst.denseEquivalent!(options, { qLen: 40, kvLen: 48 }),
        );
        expectTensorsClose(out, dense, TOL);
        tf.dispose([out, dense]);
      }
      // Cached block masks: a repeated call allocates nothing that outlives it.
      expectNoLeaks(() => inst.apply(q.tensor, k.tensor, v.tensor, { causal: true }));
      inst.dispose();
    }
    tf.dispose([q.tensor, k.tensor, v.tensor, padding]);
  });

  it('fails fast on wrong configs and options', () => {
    expect(() =>
      blockSparseMechanism.create({ pattern: 'sliding-window', radius: 4, width: 2 }, context),
    ).toThrow(/block-sparse \(pattern "sliding-window"\): `options.width` must be one of the known options/);
    expect(() => blockSparseMechanism.create({ pattern: 'bigbrd' }, context)).toThrow(
      /No mask pattern "bigbrd"/,
    );
    expect(() => blockSparseMechanism.create({ blockSize: 0 }, context)).toThrow(
      /`config.blockSize` must be an integer ≥ 1/,
    );
    const inst = blockSparseMechanism.create({ pattern: 'bigbird', blockSize: 4 }, context);
    const x = tf.zeros([1, 4, 16, 8]);
    const y = tf.zeros([1, 4, 12, 8]);
    expect(() => inst.apply(x, y, y)).toThrow(/BigBird is self-attention/);
    expect(() => inst.apply(x, x, x, { dropout: 0.1 } as never)).toThrow(/`options.dropout` must be one of/);
    expect(() => inst.apply(x, x, x, { mask: tf.ones([3, 16]) as never })).toThrow(/broadcastable/);
    tf.dispose([x, y]);
  });

  it('registers explicitly, once', () => {
    const registry = new MechanismRegistry();
    registerSparseMasks(registry);
    expect(registry.names()).toEqual(['block-sparse']);
    expect(registry.get('block-sparse').capabilities.family).toBe('sparse');
    expect(() => registerSparseMasks(registry)).toThrow(/"block-sparse" is already registered/);
  });
});
