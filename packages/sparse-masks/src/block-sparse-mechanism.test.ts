import {
  createMechanismRegistry,
  InvalidArgumentError,
  resolveMechanismConfig,
  scaledDotProductAttention,
  scoreMod,
} from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  blockSparseMechanism,
  registerSparseMasks,
  sparseMasksMechanisms,
} from './block-sparse-mechanism.js';
import { createMaskArray } from './create-mask.js';
import { bigBird } from './patterns/big-bird.js';
import { longformer } from './patterns/longformer.js';

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
    const registry = createMechanismRegistry();
    registerSparseMasks(registry);
    expect(registry.names()).toEqual(['block-sparse']);
    expect(registry.get('block-sparse').capabilities.family).toBe('sparse');
    expect(() => registerSparseMasks(registry)).toThrow(/"block-sparse" is already registered/);
    expect(sparseMasksMechanisms).toEqual([blockSparseMechanism]);
    expect(Object.isFrozen(sparseMasksMechanisms)).toBe(true);
  });
});

describe('block-sparse definition', () => {
  it('carries its title, paper, option schema and benchmark config', () => {
    expect(blockSparseMechanism.title).toBe('Block-sparse attention');
    expect(blockSparseMechanism.paper.url).toBe('https://arxiv.org/abs/2412.05496');
    expect(Object.keys(blockSparseMechanism.options)).toEqual(['pattern', 'blockSize']);
    expect(blockSparseMechanism.options.blockSize!.default).toBe(
      blockSparseMechanism.defaultConfig.blockSize,
    );
    expect(blockSparseMechanism.options.pattern!.default).toBe(blockSparseMechanism.defaultConfig.pattern);
    // What apps/experiments' inference scaling times (presets.ts: sliding window r = 64, blocks of 64).
    expect(blockSparseMechanism.benchmark).toMatchObject({ maxLength: 16384 });
    expect(blockSparseMechanism.benchmark!.config!(4096)).toEqual({
      pattern: 'sliding-window',
      radius: 64,
      blockSize: 64,
    });
  });

  it('checks configs, the pattern’s parameters included, through resolveMechanismConfig', () => {
    const def = blockSparseMechanism;
    // Resolved: the pattern's own parameters, not the default pattern's.
    expect(resolveMechanismConfig(def, { pattern: 'sliding-window', radius: 8 })).toEqual({
      pattern: 'sliding-window',
      blockSize: 64,
      radius: 8,
    });
    expect(resolveMechanismConfig(def, { pattern: 'causal' })).toEqual({ pattern: 'causal', blockSize: 64 });
    // Pattern parameters sit beside `pattern` in the config: errors name them there.
    expect(() => resolveMechanismConfig(def, { pattern: 'sliding-window', width: 8 })).toThrow(
      /block-sparse \(pattern "sliding-window"\): `config.width` must be one of the known options \(radius, before, after\)/,
    );
    expect(() => resolveMechanismConfig(def, { pattern: 'longformer', radius: 8, globalIndices: 0 })).toThrow(
      /`config.globalIndices` must be an array of integers ≥ 0/,
    );
    expect(() => resolveMechanismConfig(def, { pattern: 'bigbrd' })).toThrow(InvalidArgumentError);
    expect(() => resolveMechanismConfig(def, { pattern: 'bigbrd' })).toThrow(
      /`config.pattern` must be a registered pattern name, received "bigbrd"\. No mask pattern "bigbrd" is registered; known: attention-sink, bigbird, block-local/,
    );
    expect(() => resolveMechanismConfig(def, { pattern: 7 })).toThrow(
      /`config.pattern` must be a pattern name/,
    );
    expect(() => resolveMechanismConfig(def, { blockSize: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => def.checkConfig!({ blockSize: 0 }, 'model', 'layers[0].attention')).toThrow(
      /model: `layers\[0\].attention.blockSize` must be an integer ≥ 1/,
    );
  });

  it('decodes a sliding window with a rolling cache of 1 + before keys, as the transformer did by name', () => {
    const plan = (config: object, masked = false) =>
      blockSparseMechanism.create(config, context).decoding!({ causal: true, masked });
    expect(plan({})).toEqual({ kind: 'kv-cache', window: 65, attend: 'exact' });
    expect(plan({ pattern: 'sliding-window', radius: 3 })).toEqual({
      kind: 'kv-cache',
      window: 4,
      attend: 'exact',
    });
    expect(plan({ pattern: 'sliding-window', before: 5, after: 2 })).toMatchObject({ window: 6 });
    expect(plan({ pattern: 'sliding-window', after: 2 })).toMatchObject({ window: 1 });
    // A model-level mask on top: the window alone no longer says which keys a token sees.
    const masked = plan({ pattern: 'sliding-window', radius: 3 }, true);
    expect(masked).toMatchObject({ kind: 'kv-cache', attend: 'exact' });
    expect(masked).not.toHaveProperty('window');
  });

  it('rebuilds the pattern per length for decoding otherwise, with the instance’s seed and block size', () => {
    const longformerPlan = blockSparseMechanism.create(
      { pattern: 'longformer', radius: 2, globalIndices: [0], blockSize: 8 },
      context,
    ).decoding!({ causal: true, masked: false });
    expect(longformerPlan).toMatchObject({ kind: 'kv-cache', attend: 'exact' });
    expect(longformerPlan.kind === 'kv-cache' && longformerPlan.window).toBe(undefined);
    const at = (plan: typeof longformerPlan, position: number) =>
      plan.kind === 'kv-cache' ? plan.maskAt!(position) : undefined;
    expect(createMaskArray(at(longformerPlan, 9)!, 10, 10)).toEqual(
      createMaskArray(longformer({ radius: 2, globalIndices: [0] }), 10, 10),
    );
    const bigBirdPlan = blockSparseMechanism.create(
      { pattern: 'bigbird', randomBlocks: 1, blockSize: 4 },
      context,
    ).decoding!({ causal: true, masked: false });
    expect(createMaskArray(at(bigBirdPlan, 23)!, 24, 24)).toEqual(
      createMaskArray(bigBird({ seqLen: 24, blockSize: 4, randomBlocks: 1, seed: context.seed }), 24, 24),
    );
  });
});
