import {
  assertKnownOptions,
  IncompatibleOptionsError,
  InvalidArgumentError,
  type OptionSchema,
  type PaperReference,
  resolveOptions,
} from '@efficient-attention/core';
import type { EncodingKind, PositionalEncoding } from './types.js';

/**
 * What an encoding supports and costs, as data (frozen), for the docs' tables and the playground.
 * "Extrapolates" follows the length-extrapolation evaluations of Press et al. 2022:
 * https://arxiv.org/abs/2108.12409
 *
 * @example
 * ```ts
 * const c: EncodingCapabilities = { kind: 'bias', trainable: 'optional', extrapolates: true, extraMemory: 'O(heads) slopes' };
 * ```
 */
export interface EncodingCapabilities {
  readonly kind: EncodingKind;
  /** Whether it has trainable variables: never, as an option, or always. */
  readonly trainable: 'never' | 'optional' | 'always';
  /**
   * Whether quality holds past the training length without fine-tuning, per the evaluations cited in
   * `describe()` (Press et al. 2022 for sinusoidal, rotary, T5 and ALiBi; Kazemnejad et al. 2023 for NoPE).
   */
  readonly extrapolates: boolean;
  /** Memory beyond the activations, in words, e.g. `O(L·d) cached table`. */
  readonly extraMemory: string;
}

/**
 * The text written once and read by the docs' comparison table and the playground (each entry cites its
 * paper, e.g. https://arxiv.org/abs/2104.09864 for RoPE).
 *
 * @example
 * ```ts
 * const { title, formula, paper } = ropeDefinition.describe();
 * katex.render(formula, element); // LaTeX
 * ```
 */
export interface EncodingDescription {
  /** The registry name, e.g. `rope` (filled in by {@link defineEncoding}). */
  readonly name: string;
  /** Display name, e.g. `Rotary (RoPE)` (the definition's `title`). */
  readonly title: string;
  /** The defining formula in LaTeX (KaTeX-compatible). */
  readonly formula: string;
  /** The definition's `paper` (the same object). */
  readonly paper: PaperReference;
  readonly strengths: readonly string[];
  readonly weaknesses: readonly string[];
}

/**
 * Model shape facts an encoding factory may need; each definition reads the ones it uses (a Transformer's
 * d_model, h, d_k of Vaswani et al. 2017: https://arxiv.org/abs/1706.03762).
 *
 * @example
 * ```ts
 * const context: EncodingContext = { modelDim: 512, heads: 8, headDim: 64, maxLength: 2048, seed: 0 };
 * ```
 */
export interface EncodingContext {
  /** Embedding width (additive encodings). */
  readonly modelDim: number;
  /** Attention heads (bias encodings). */
  readonly heads: number;
  /** Query/key width per head (rotary encodings). */
  readonly headDim: number;
  /** Longest sequence the model is built for (learned tables). */
  readonly maxLength: number;
  /** Seed for initial values of trainable variables. */
  readonly seed: number;
}

/**
 * A registered encoding: name, title, paper, capabilities, option schema, description and a factory
 * (positional encodings surveyed by Dufter et al. 2022: https://arxiv.org/abs/2102.11090).
 *
 * @example
 * ```ts
 * const def: EncodingDefinition = positionalEncodings.get('t5');
 * def.options.numBuckets.default; // 32
 * const enc = def.create({ bidirectional: false }, context);
 * ```
 */
export interface EncodingDefinition<Options extends object = object> {
  readonly name: string;
  /** Display name for tables and the playground, e.g. `Rotary (RoPE)`. */
  readonly title: string;
  /** The paper that introduced it. */
  readonly paper: PaperReference;
  readonly capabilities: EncodingCapabilities;
  /**
   * Every option `create` takes: type, default, valid range, meaning (the one place that says what a valid
   * option is). `create` validates against it, then the encoding function runs its own, stricter checks.
   */
  readonly options: OptionSchema;
  /**
   * Options whose values are objects, which {@link options} cannot describe (RoPE's `scaling` and `xpos`):
   * name → meaning. `create` accepts them and the encoding function validates them.
   */
  readonly objectOptions: Readonly<Record<string, string>>;
  /** Options of the encoding function the model context decides (e.g. `dim` from `modelDim`); `create` refuses them. */
  readonly contextOptions: readonly string[];
  /** The frozen description (the same object on every call). */
  describe(): EncodingDescription;
  /**
   * Creates the encoding; shape fields (dim, heads, …) come from `context`, the rest from `options`,
   * validated against {@link options} (unknown keys, types, ranges) with its defaults filled in.
   */
  create(options: Options, context: EncodingContext): PositionalEncoding;
}

/** What {@link defineEncoding} takes. */
export interface EncodingSpec<Options extends object> {
  name: string;
  title: string;
  paper: PaperReference;
  capabilities: EncodingCapabilities;
  /** Every option of `create` that is a number, boolean, enum or string (see {@link EncodingDefinition.options}). */
  options: OptionSchema;
  /** Object-valued options, name → meaning (see {@link EncodingDefinition.objectOptions}). Default none. */
  objectOptions?: Readonly<Record<string, string>>;
  /** Options the model context decides (see {@link EncodingDefinition.contextOptions}). Default none. */
  contextOptions?: readonly string[];
  description: Omit<EncodingDescription, 'name' | 'title' | 'paper'>;
  /** Builds the encoding from validated options (defaults filled in) and the context. */
  create(options: Options, context: EncodingContext): PositionalEncoding;
}

/**
 * Builds an {@link EncodingDefinition} with deeply frozen capabilities, schema and description, whose
 * `create` validates options against the schema before calling `spec.create`. Cite the encoding's paper
 * with core's `paper(…)` (e.g. https://arxiv.org/abs/2108.12409).
 *
 * @example
 * ```ts
 * export const myDefinition = defineEncoding({
 *   name: 'my-encoding',
 *   title: 'Mine',
 *   paper: paper('…', 'Me et al.', 2025, 'https://arxiv.org/abs/…'),
 *   capabilities: { kind: 'none', trainable: 'never', extrapolates: true, extraMemory: 'none' },
 *   options: defineOptions({}),
 *   description: { formula: 'x', strengths: [], weaknesses: [] },
 *   create: () => nope(),
 * });
 * ```
 */
export function defineEncoding<Options extends object>(
  spec: EncodingSpec<Options>,
): EncodingDefinition<Options> {
  const paper = Object.isFrozen(spec.paper) ? spec.paper : Object.freeze({ ...spec.paper });
  const description: EncodingDescription = Object.freeze({
    name: spec.name,
    title: spec.title,
    ...spec.description,
    paper,
    strengths: Object.freeze([...spec.description.strengths]),
    weaknesses: Object.freeze([...spec.description.weaknesses]),
  });
  const options: OptionSchema = Object.freeze(
    Object.fromEntries(Object.entries(spec.options).map(([k, o]) => [k, Object.freeze({ ...o })])),
  );
  const objectOptions = Object.freeze({ ...spec.objectOptions });
  const contextOptions = Object.freeze([...(spec.contextOptions ?? [])]);
  const objectKeys = Object.keys(objectOptions);
  return Object.freeze({
    name: spec.name,
    title: spec.title,
    paper,
    capabilities: Object.freeze({ ...spec.capabilities }),
    options,
    objectOptions,
    contextOptions,
    describe: () => description,
    create(given: Options, context: EncodingContext): PositionalEncoding {
      if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) {
        throw new InvalidArgumentError(spec.name, 'options', 'an options object', given);
      }
      refuseContextOptions(spec.name, given, contextOptions);
      const all = (given ?? {}) as Record<string, unknown>;
      assertKnownOptions(spec.name, all, [...Object.keys(options), ...objectKeys]);
      const scalar: Record<string, unknown> = {};
      const objects: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(all)) (key in objectOptions ? objects : scalar)[key] = value;
      const resolved = { ...resolveOptions(spec.name, 'options', options, scalar), ...objects };
      return spec.create(resolved as Options, context);
    },
  });
}

/** Throws when `options` sets a field the model context decides. */
function refuseContextOptions(name: string, options: object | undefined, fields: readonly string[]): void {
  for (const key of fields) {
    if (options !== undefined && key in options) {
      throw new IncompatibleOptionsError(
        `${name} definition`,
        `\`${key}\` comes from the model context; remove it from the options.`,
      );
    }
  }
}

/**
 * Merges the context's shape fields into `options`, refusing options that set one of them (the model
 * decides the shapes; a second, silently ignored value would be a bug).
 */
export function withContext<Options extends object, Fields extends object>(
  name: string,
  options: Options | undefined,
  fields: Fields,
): Options & Fields {
  const given = options ?? ({} as Options);
  refuseContextOptions(name, given, Object.keys(fields));
  return { ...given, ...fields };
}
