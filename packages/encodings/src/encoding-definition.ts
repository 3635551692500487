import { IncompatibleOptionsError } from '@efficient-attention/core';
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
  /** Display name, e.g. `Rotary (RoPE)`. */
  readonly title: string;
  /** The defining formula in LaTeX (KaTeX-compatible). */
  readonly formula: string;
  readonly paper: { readonly title: string; readonly url: string };
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
 * A registered encoding: name, capabilities, description and a factory (positional encodings surveyed by
 * Dufter et al. 2022: https://arxiv.org/abs/2102.11090).
 *
 * @example
 * ```ts
 * const def: EncodingDefinition = positionalEncodings.get('t5');
 * const enc = def.create({ bidirectional: false }, context);
 * ```
 */
export interface EncodingDefinition<Options extends object = object> {
  readonly name: string;
  readonly capabilities: EncodingCapabilities;
  /** The frozen description (the same object on every call). */
  describe(): EncodingDescription;
  /** Creates the encoding; shape fields (dim, heads, …) come from `context`, the rest from `options`. */
  create(options: Options, context: EncodingContext): PositionalEncoding;
}

/**
 * Builds an {@link EncodingDefinition} with deeply frozen capabilities and description. Cite the
 * encoding's paper in `description.paper` (e.g. https://arxiv.org/abs/2108.12409).
 *
 * @example
 * ```ts
 * export const myDefinition = defineEncoding({
 *   name: 'my-encoding',
 *   capabilities: { kind: 'none', trainable: 'never', extrapolates: true, extraMemory: 'none' },
 *   description: { title: 'Mine', formula: 'x', paper: { title: '…', url: 'https://arxiv.org/abs/…' }, strengths: [], weaknesses: [] },
 *   create: () => nope(),
 * });
 * ```
 */
export function defineEncoding<Options extends object>(spec: {
  name: string;
  capabilities: EncodingCapabilities;
  description: Omit<EncodingDescription, 'name'>;
  create(options: Options, context: EncodingContext): PositionalEncoding;
}): EncodingDefinition<Options> {
  const description: EncodingDescription = Object.freeze({
    name: spec.name,
    ...spec.description,
    paper: Object.freeze({ ...spec.description.paper }),
    strengths: Object.freeze([...spec.description.strengths]),
    weaknesses: Object.freeze([...spec.description.weaknesses]),
  });
  return Object.freeze({
    name: spec.name,
    capabilities: Object.freeze({ ...spec.capabilities }),
    describe: () => description,
    create: spec.create,
  });
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
  for (const key of Object.keys(fields)) {
    if (key in given) {
      throw new IncompatibleOptionsError(
        `${name} definition`,
        `\`${key}\` comes from the model context; remove it from the options.`,
      );
    }
  }
  return { ...given, ...fields };
}
