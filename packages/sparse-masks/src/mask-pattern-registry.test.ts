import { describe, expect, it } from 'vitest';
import { createMaskArray } from './create-mask.js';
import { builtinMaskPatterns, MaskPatternRegistry, maskPatterns } from './mask-pattern-registry.js';
import { attentionSink } from './patterns/attention-sink.js';
import { bigBird } from './patterns/big-bird.js';
import { blockLocal } from './patterns/block-local.js';
import { causal } from './patterns/causal.js';
import { dilatedSlidingWindow } from './patterns/dilated-sliding-window.js';
import { fixed } from './patterns/fixed.js';
import { globalTokens } from './patterns/global-tokens.js';
import { longformer } from './patterns/longformer.js';
import { prefixLM } from './patterns/prefix-lm.js';
import { randomPattern } from './patterns/random-pattern.js';
import { slidingWindow } from './patterns/sliding-window.js';
import { starTransformer } from './patterns/star-transformer.js';
import { strided } from './patterns/strided.js';

const context = { seed: 7, qLen: 24, kvLen: 24, blockSize: 4 };

describe('MaskPatternRegistry', () => {
  it('builds every built-in pattern from its config exactly as the function does', () => {
    const cases = [
      [{ pattern: 'causal' }, causal({ qLen: 24, kvLen: 24 })],
      [{ pattern: 'sliding-window', before: 3, after: 1 }, slidingWindow({ before: 3, after: 1 })],
      [
        { pattern: 'dilated-sliding-window', radius: 2, dilation: 3 },
        dilatedSlidingWindow({ radius: 2, dilation: 3 }),
      ],
      [{ pattern: 'global-tokens', indices: [0, 9] }, globalTokens({ indices: [0, 9] })],
      [{ pattern: 'random', perRow: 3 }, randomPattern({ kvLen: 24, perRow: 3, seed: 7 })],
      [{ pattern: 'block-local', size: 5 }, blockLocal({ size: 5 })],
      [{ pattern: 'strided', stride: 4 }, strided({ stride: 4 })],
      [{ pattern: 'fixed', stride: 4, summary: 2 }, fixed({ stride: 4, summary: 2 })],
      [{ pattern: 'prefix-lm', prefixLength: 6 }, prefixLM({ prefixLength: 6 })],
      [{ pattern: 'attention-sink', sinks: 2, window: 5 }, attentionSink({ sinks: 2, window: 5 })],
      [
        { pattern: 'longformer', radius: 2, globalIndices: [0] },
        longformer({ radius: 2, globalIndices: [0] }),
      ],
      [
        { pattern: 'bigbird', randomBlocks: 1 },
        bigBird({ seqLen: 24, blockSize: 4, randomBlocks: 1, seed: 7 }),
      ],
      [{ pattern: 'star-transformer' }, starTransformer({ seqLen: 24 })],
    ] as const;
    expect(cases.map(([c]) => c.pattern).sort()).toEqual(maskPatterns.names());
    for (const [config, direct] of cases) {
      const built = maskPatterns.create(config, context);
      expect(createMaskArray(built, 24, 24), config.pattern).toEqual(createMaskArray(direct, 24, 24));
    }
  });

  it('names the pattern and its accepted keys when a config is wrong', () => {
    expect(() => maskPatterns.create({ pattern: 'sliding-window', width: 4 }, context)).toThrow(
      /pattern "sliding-window": `options.width` must be one of the known options \(radius, before, after\)/,
    );
    expect(() => maskPatterns.create({ pattern: 'slidingwindow' }, context)).toThrow(
      /No mask pattern "slidingwindow" is registered; known: attention-sink, bigbird/,
    );
    expect(() => maskPatterns.create({ pattern: 'bigbird' }, { ...context, kvLen: 12 })).toThrow(
      /BigBird is self-attention/,
    );
    expect(() => maskPatterns.create({ pattern: 'random' }, context)).toThrow(/exactly one of `perRow`/);
  });

  it('is an explicit registry: new ones start from given specs and refuse duplicates', () => {
    const registry = new MaskPatternRegistry(builtinMaskPatterns.filter((s) => s.name === 'causal'));
    expect(registry.names()).toEqual(['causal']);
    expect(() => registry.register(builtinMaskPatterns[0]!)).toThrow(/"causal" is already registered/);
    registry.register({
      name: 'diagonal',
      description: 'Each query attends itself.',
      paper: 'https://arxiv.org/abs/1706.03762',
      parameters: [],
      create: () => slidingWindow({ radius: 0 }),
    });
    expect(registry.has('diagonal')).toBe(true);
    expect(maskPatterns.has('diagonal')).toBe(false);
    expect(Object.isFrozen(registry.get('diagonal'))).toBe(true);
  });
});
