import {
  assertKnownOptions,
  InvalidArgumentError,
  type MaskMod,
  RegistryError,
} from '@efficient-attention/core';
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

/** What a pattern built from a config may depend on besides its parameters. */
export interface MaskPatternContext {
  /** Seed for random patterns (the mechanism's seed). */
  readonly seed: number;
  readonly qLen: number;
  readonly kvLen: number;
  /** The block mask's block size (BigBird's blocks use it). */
  readonly blockSize: number;
}

/**
 * A pattern that JSON configs can name: `{ pattern: 'sliding-window', radius: 64 }` builds
 * `slidingWindow({ radius: 64 })`. `parameters` lists the config keys it accepts (anything else throws).
 */
export interface MaskPatternSpec {
  /** The kebab-case name configs use, e.g. `sliding-window`. */
  readonly name: string;
  /** One sentence for tables and errors. */
  readonly description: string;
  /** The paper, as a URL. */
  readonly paper: string;
  /** Accepted parameter keys (the `pattern` key itself excluded). */
  readonly parameters: readonly string[];
  /** Builds the mask for one call's lengths. */
  create(params: Record<string, unknown>, context: MaskPatternContext): MaskMod;
}

/**
 * An explicit, typed map from pattern names to {@link MaskPatternSpec}s, so that JSON model configs can
 * name masks (`block-sparse` mechanism configs look patterns up here). Registering a name twice throws.
 * Explicit typed registries as in xformers; masks as in FlexAttention (https://arxiv.org/abs/2412.05496).
 *
 * @example
 * ```ts
 * const patterns = new MaskPatternRegistry(builtinMaskPatterns);
 * const mask = patterns.create({ pattern: 'longformer', radius: 32, globalIndices: [0] },
 *   { seed: 0, qLen: 512, kvLen: 512, blockSize: 64 });
 * ```
 */
export class MaskPatternRegistry {
  private readonly entries = new Map<string, MaskPatternSpec>();

  constructor(specs: readonly MaskPatternSpec[] = []) {
    for (const spec of specs) this.register(spec);
  }

  /** Adds a pattern; throws if the name is taken. */
  register(spec: MaskPatternSpec): void {
    if (this.entries.has(spec.name)) {
      throw new RegistryError(`The mask pattern "${spec.name}" is already registered.`);
    }
    this.entries.set(spec.name, Object.freeze({ ...spec, parameters: Object.freeze([...spec.parameters]) }));
  }

  /** The spec registered under `name`; throws with the known names otherwise. */
  get(name: string): MaskPatternSpec {
    const spec = this.entries.get(name);
    if (spec === undefined) {
      throw new RegistryError(`No mask pattern "${name}" is registered; known: ${this.names().join(', ')}.`);
    }
    return spec;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  /**
   * Builds the mask a config names: `config.pattern` selects the spec, the other keys are its parameters.
   * Unknown keys throw an `InvalidArgumentError` naming the pattern and its accepted keys.
   */
  create(config: { pattern: string } & Record<string, unknown>, context: MaskPatternContext): MaskMod {
    if (config === null || typeof config !== 'object' || typeof config.pattern !== 'string') {
      throw new InvalidArgumentError(
        'MaskPatternRegistry.create',
        'config.pattern',
        `a pattern name (${this.names().join(', ')})`,
        config?.pattern,
      );
    }
    const { pattern, ...params } = config;
    const spec = this.get(pattern);
    assertKnownOptions(`pattern "${pattern}"`, params, spec.parameters);
    return spec.create(params, context);
  }
}

/** Narrows a JSON value to what a pattern function validates itself (it throws on a wrong type). */
const asOptions = <T>(params: Record<string, unknown>) => params as unknown as T;

/**
 * The built-in patterns, by config name (each spec links its paper).
 *
 * @example
 * ```ts
 * builtinMaskPatterns.map((s) => s.name); // ['causal', 'sliding-window', 'dilated-sliding-window', …]
 * ```
 */
export const builtinMaskPatterns: readonly MaskPatternSpec[] = Object.freeze([
  {
    name: 'causal',
    description: 'Causal masking, bottom-right aligned when the lengths differ.',
    paper: 'https://arxiv.org/abs/1706.03762',
    parameters: [],
    create: (_p, c) => causal({ qLen: c.qLen, kvLen: c.kvLen }),
  },
  {
    name: 'sliding-window',
    description: 'A band: kv ∈ [q − before, q + after].',
    paper: 'https://arxiv.org/abs/2004.05150',
    parameters: ['radius', 'before', 'after'],
    create: (p) => slidingWindow(asOptions<Parameters<typeof slidingWindow>[0]>(p)),
  },
  {
    name: 'dilated-sliding-window',
    description: 'A band with gaps: kv = q + t·dilation, t ∈ [−before, after].',
    paper: 'https://arxiv.org/abs/2004.05150',
    parameters: ['radius', 'before', 'after', 'dilation'],
    create: (p) => dilatedSlidingWindow(asOptions<Parameters<typeof dilatedSlidingWindow>[0]>(p)),
  },
  {
    name: 'global-tokens',
    description: 'Given positions attend to and are attended by every position.',
    paper: 'https://arxiv.org/abs/2004.05150',
    parameters: ['indices'],
    create: (p) => globalTokens(asOptions<Parameters<typeof globalTokens>[0]>(p)),
  },
  {
    name: 'random',
    description: 'A seeded random set of keys per query row (perRow or density).',
    paper: 'https://arxiv.org/abs/2007.14062',
    parameters: ['perRow', 'density', 'perHead'],
    create: (p, c) => randomPattern({ ...asOptions<{ perRow?: number }>(p), kvLen: c.kvLen, seed: c.seed }),
  },
  {
    name: 'block-local',
    description: 'Attention within non-overlapping blocks of `size` positions.',
    paper: 'https://arxiv.org/abs/1802.05751',
    parameters: ['size'],
    create: (p) => blockLocal(asOptions<Parameters<typeof blockLocal>[0]>(p)),
  },
  {
    name: 'strided',
    description: 'Sparse Transformer strided: the previous `stride` keys and every `stride`-th key.',
    paper: 'https://arxiv.org/abs/1904.10509',
    parameters: ['stride', 'causal'],
    create: (p) => strided(asOptions<Parameters<typeof strided>[0]>(p)),
  },
  {
    name: 'fixed',
    description: 'Sparse Transformer fixed: the own block of `stride` keys and each block’s summary keys.',
    paper: 'https://arxiv.org/abs/1904.10509',
    parameters: ['stride', 'summary', 'causal'],
    create: (p) => fixed(asOptions<Parameters<typeof fixed>[0]>(p)),
  },
  {
    name: 'prefix-lm',
    description: 'A bidirectional prefix, then causal.',
    paper: 'https://arxiv.org/abs/1910.10683',
    parameters: ['prefixLength'],
    create: (p) => prefixLM(asOptions<Parameters<typeof prefixLM>[0]>(p)),
  },
  {
    name: 'attention-sink',
    description: 'StreamingLLM: the first `sinks` tokens plus a causal window.',
    paper: 'https://arxiv.org/abs/2309.17453',
    parameters: ['sinks', 'window'],
    create: (p) => attentionSink(asOptions<Parameters<typeof attentionSink>[0]>(p)),
  },
  {
    name: 'longformer',
    description: 'A (dilated) sliding window plus global tokens.',
    paper: 'https://arxiv.org/abs/2004.05150',
    parameters: ['radius', 'before', 'after', 'dilation', 'globalIndices'],
    create: (p) => longformer(asOptions<Parameters<typeof longformer>[0]>(p)),
  },
  {
    name: 'bigbird',
    description: 'Block-aligned window + global + random blocks (blocks of the block mask’s size).',
    paper: 'https://arxiv.org/abs/2007.14062',
    parameters: ['windowBlocks', 'globalBlocks', 'randomBlocks', 'perHead'],
    create: (p, c) => {
      if (c.qLen !== c.kvLen) {
        throw new InvalidArgumentError(
          'pattern "bigbird"',
          'kvLen',
          `the query length ${c.qLen} (BigBird is self-attention)`,
          c.kvLen,
        );
      }
      return bigBird({
        ...asOptions<{ windowBlocks?: number }>(p),
        seqLen: c.qLen,
        blockSize: c.blockSize,
        seed: c.seed,
      });
    },
  },
  {
    name: 'star-transformer',
    description: 'A relay token (position 0) plus a radius-1 ring of satellites.',
    paper: 'https://arxiv.org/abs/1902.09113',
    parameters: [],
    create: (_p, c) => {
      if (c.qLen !== c.kvLen) {
        throw new InvalidArgumentError(
          'pattern "star-transformer"',
          'kvLen',
          `the query length ${c.qLen} (Star-Transformer is self-attention)`,
          c.kvLen,
        );
      }
      return starTransformer({ seqLen: c.qLen });
    },
  },
] satisfies MaskPatternSpec[]);

/**
 * The default pattern registry, holding {@link builtinMaskPatterns}. `block-sparse` mechanism configs name
 * patterns from it; add your own with `maskPatterns.register(spec)`. FlexAttention:
 * https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * maskPatterns.names(); // ['attention-sink', 'bigbird', 'block-local', 'causal', …]
 * ```
 */
export const maskPatterns: MaskPatternRegistry = /* @__PURE__ */ new MaskPatternRegistry(builtinMaskPatterns);
