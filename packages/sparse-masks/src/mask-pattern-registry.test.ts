import { readFileSync } from 'node:fs';
import { InvalidArgumentError, optionDefaults, paper } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { createMaskArray } from './create-mask.js';
import { createPatternMask } from './create-pattern-mask.js';
import * as api from './index.js';
import type { MaskPatternDefinition } from './mask-pattern-definition.js';
import { builtinMaskPatterns, createMaskPatternRegistry, maskPatterns } from './mask-pattern-registry.js';
import { attentionSink } from './patterns/attention-sink.js';
import { bigBird } from './patterns/big-bird.js';
import { blockLocal } from './patterns/block-local.js';
import { causal } from './patterns/causal.js';
import { dilatedSlidingWindow } from './patterns/dilated-sliding-window.js';
import { documentMask } from './patterns/document-mask.js';
import { fixed } from './patterns/fixed.js';
import { globalTokens } from './patterns/global-tokens.js';
import { longformer } from './patterns/longformer.js';
import { prefixLM } from './patterns/prefix-lm.js';
import { randomPattern } from './patterns/random-pattern.js';
import { slidingWindow } from './patterns/sliding-window.js';
import { starTransformer } from './patterns/star-transformer.js';
import { strided } from './patterns/strided.js';

const context = { seed: 7, qLen: 24, kvLen: 24, blockSize: 4 };
const documentIds = Array.from({ length: 24 }, (_, i) => (i < 22 ? Math.floor(i / 5) : -1));

describe('maskPatterns (a core registry of mask pattern definitions)', () => {
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
      [{ pattern: 'document-mask', documentIds }, documentMask({ documentIds })],
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
      const built = createPatternMask(config, context);
      expect(createMaskArray(built, 24, 24), config.pattern).toEqual(createMaskArray(direct, 24, 24));
    }
  });

  it('names the pattern and its accepted keys when a config is wrong', () => {
    expect(() => createPatternMask({ pattern: 'sliding-window', width: 4 }, context)).toThrow(
      /pattern "sliding-window": `options.width` must be one of the known options \(radius, before, after\)/,
    );
    expect(() => createPatternMask({ pattern: 'slidingwindow' }, context)).toThrow(
      /No mask pattern "slidingwindow" is registered; known: attention-sink, bigbird/,
    );
    expect(() => createPatternMask({ pattern: 'bigbird' }, { ...context, kvLen: 12 })).toThrow(
      /BigBird is self-attention/,
    );
    expect(() => createPatternMask({ pattern: 'random' }, context)).toThrow(/exactly one of `perRow`/);
  });

  it('is an explicit registry: new ones start from given definitions and refuse duplicates', () => {
    const registry = createMaskPatternRegistry(builtinMaskPatterns.filter((s) => s.name === 'causal'));
    expect(registry.names()).toEqual(['causal']);
    expect(() => registry.register(builtinMaskPatterns[0]!)).toThrow(/"causal" is already registered/);
    registry.register({
      name: 'diagonal',
      title: 'Diagonal',
      description: 'Each query attends itself.',
      paper: paper('Attention Is All You Need', 'Vaswani et al.', 2017, 'https://arxiv.org/abs/1706.03762'),
      options: {},
      create: () => slidingWindow({ radius: 0 }),
    });
    expect(registry.has('diagonal')).toBe(true);
    expect(maskPatterns.has('diagonal')).toBe(false);
    expect(Object.isFrozen(registry.get('diagonal'))).toBe(true);
    // createPatternMask looks names up in the registry it is given.
    expect(createMaskArray(createPatternMask({ pattern: 'diagonal' }, context, registry), 2, 2)).toEqual([
      [
        [
          [true, false],
          [false, true],
        ],
      ],
    ]);
    expect(() => createPatternMask({ pattern: 'diagonal' }, context)).toThrow(/No mask pattern "diagonal"/);
  });

  it('rejects unknown keys, wrong types and out-of-range values, naming the parameter', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { pattern: 'block-local', size: 'big' },
        /pattern "block-local": `options.size` must be an integer ≥ 1/,
      ],
      [{ pattern: 'block-local', size: 2.5 }, /`options.size` must be an integer ≥ 1, received 2.5/],
      [
        { pattern: 'strided', stride: 4, causal: 'yes' },
        /pattern "strided": `options.causal` must be a boolean/,
      ],
      [
        { pattern: 'fixed', stride: 4, summary: 0 },
        /pattern "fixed": `options.summary` must be an integer ≥ 1/,
      ],
      [{ pattern: 'random', density: 1.5 }, /pattern "random": `options.density` must be .*≤ 1/],
      [
        { pattern: 'global-tokens', indices: [0, -1] },
        /pattern "global-tokens": `options.indices` must be an array of integers ≥ 0/,
      ],
      [
        { pattern: 'document-mask', documentIds: [0, 0.5] },
        /pattern "document-mask": `options.documentIds` must be an array of integers/,
      ],
      [
        { pattern: 'bigbird', blocks: 2 },
        /pattern "bigbird": `options.blocks` must be one of the known options/,
      ],
      [
        { pattern: 'causal', qLen: 4 },
        /pattern "causal": `options.qLen` must be one of the known options \(\)/,
      ],
    ];
    for (const [config, message] of cases) {
      expect(
        () => createPatternMask(config as { pattern: string }, context),
        config.pattern as string,
      ).toThrow(message);
      expect(() => createPatternMask(config as { pattern: string }, context)).toThrow(InvalidArgumentError);
    }
    expect(() => createPatternMask({ pattern: 3 } as never, context)).toThrow(
      /createPatternMask: `config.pattern` must be a pattern name \(attention-sink, bigbird/,
    );
    expect(() => createPatternMask(null as never, context)).toThrow(/`config.pattern`/);
    // The pattern function keeps its own, stricter checks after the schema's.
    expect(() => createPatternMask({ pattern: 'sliding-window', radius: 2, before: 1 }, context)).toThrow(
      /`radius` sets both/,
    );
  });

  it('registers every pattern the package exports (read from index.ts), and exports every definition', async () => {
    const index = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');
    // Value exports of the pattern modules (combinators live elsewhere; type-only exports are skipped).
    const modules = [...index.matchAll(/export \{([^}]*)\} from '\.\/patterns\/([a-z-]+)\.js'/g)]
      .filter(([, names]) => names!.split(',').some((n) => n.trim() !== '' && !n.trim().startsWith('type ')))
      .map(([, , file]) => file!);
    expect(modules.length).toBeGreaterThanOrEqual(builtinMaskPatterns.length);
    const exported = new Set<unknown>(Object.values(api));
    for (const file of modules) {
      const mod: Record<string, unknown> = await import(`./patterns/${file}.ts`);
      const definitions = Object.values(mod).filter((x) => builtinMaskPatterns.includes(x as never));
      expect(definitions.length, `patterns/${file}.ts registers a definition`).toBe(1);
      expect(exported.has(definitions[0]), `patterns/${file}.ts's definition is exported`).toBe(true);
    }
    for (const definition of builtinMaskPatterns) {
      expect(maskPatterns.get(definition.name)).toBe(definition);
      expect(exported.has(definition)).toBe(true);
    }
    expect(maskPatterns.names()).toHaveLength(builtinMaskPatterns.length);
  });

  it('has a title, a paper and a described schema for every definition', () => {
    for (const d of maskPatterns.list()) {
      expect(d.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(d.title.length, d.name).toBeGreaterThan(2);
      expect(d.description.length, d.name).toBeGreaterThan(10);
      expect(d.paper.url, d.name).toMatch(/^https:\/\/arxiv\.org\/abs\/\d{4}\.\d{4,5}$/);
      expect(d.paper.year, d.name).toBeGreaterThan(2000);
      expect(Object.isFrozen(d.options), d.name).toBe(true);
      for (const [key, spec] of Object.entries(d.options)) {
        expect(spec.description.length, `${d.name}.${key}`).toBeGreaterThan(5);
      }
    }
  });

  it('has schema defaults equal to the pattern functions’ own defaults', () => {
    // Per pattern with defaults: its required parameters, and the function called with only those.
    const minimal: Record<string, [Record<string, unknown>, () => api.MaskPattern]> = {
      random: [{ perRow: 3 }, () => randomPattern({ kvLen: 24, perRow: 3, seed: 7 })],
      strided: [{ stride: 4 }, () => strided({ stride: 4 })],
      fixed: [{ stride: 4 }, () => fixed({ stride: 4 })],
      longformer: [{ radius: 2 }, () => longformer({ radius: 2 })],
      bigbird: [{}, () => bigBird({ seqLen: 24, blockSize: 4, seed: 7 })],
    };
    const withDefaults = (d: MaskPatternDefinition) =>
      Object.values(d.options).some((spec) => spec.default !== undefined);
    expect(builtinMaskPatterns.filter(withDefaults).map((d) => d.name)).toEqual(Object.keys(minimal));
    for (const [name, [given, direct]] of Object.entries(minimal)) {
      const definition = maskPatterns.get(name);
      // The definition receives every default explicitly; the function fills in its own.
      const params = { ...optionDefaults(definition.options), ...given };
      const viaSchema = definition.create(params, context) as api.MaskPattern;
      const own = direct();
      expect(viaSchema.description, name).toBe(own.description);
      expect(createMaskArray(viaSchema, 24, 24, { heads: 2 }), name).toEqual(
        createMaskArray(own, 24, 24, { heads: 2 }),
      );
    }
  });
});
