import { createRegistry, type Registry } from '@efficient-attention/core';
import { alibiDefinition } from './alibi.js';
import type { EncodingDefinition } from './encoding-definition.js';
import { learnedPositionDefinition } from './learned-position.js';
import { linearPositionDefinition } from './linear-position.js';
import { nopeDefinition } from './nope.js';
import { ropeDefinition } from './rope.js';
import { sinusoidalDefinition } from './sinusoidal.js';
import { t5RelativeBiasDefinition } from './t5-relative-bias.js';

/**
 * A registry of positional encodings (core's `createRegistry` over {@link EncodingDefinition}s), filled by
 * {@link registerEncodings}. Nothing registers itself on import; registering a name twice throws.
 * The encodings are those compared by Press et al. 2022 (https://arxiv.org/abs/2108.12409) and their
 * successors.
 *
 * @example
 * ```ts
 * const registry: EncodingRegistry = createEncodingRegistry();
 * registerEncodings(registry);
 * registry.get('alibi').capabilities.extrapolates; // true
 * ```
 */
export type EncodingRegistry = Registry<string, EncodingDefinition>;

/**
 * A new, empty (or pre-filled) encoding registry; {@link positionalEncodings} is the default one.
 *
 * @example
 * ```ts
 * const registry = createEncodingRegistry();
 * registerEncodings(registry);
 * registry.names(); // ['alibi', 'learned', 'linear', 'nope', 'rope', 'sinusoidal', 't5']
 * ```
 */
export function createEncodingRegistry(definitions: Iterable<EncodingDefinition> = []): EncodingRegistry {
  return createRegistry<string, EncodingDefinition>({
    kind: 'positional encoding',
    hint: 'Did you call registerEncodings()?',
    definitions,
  });
}

/**
 * The default registry the transformer package, the docs and the playground read; empty until
 * {@link registerEncodings} is called. Comparison of the encodings: https://arxiv.org/abs/2108.12409
 *
 * @example
 * ```ts
 * registerEncodings();
 * positionalEncodings.names(); // ['alibi', 'learned', 'linear', 'nope', 'rope', 'sinusoidal', 't5']
 * ```
 */
export const positionalEncodings: EncodingRegistry = /* @__PURE__ */ createEncodingRegistry();

/**
 * Every encoding definition of this package, in the order of the blog's section on positional encodings
 * (additive, rotary, bias, none; see https://arxiv.org/abs/2102.11090 for the taxonomy).
 *
 * @example
 * ```ts
 * const rows = encodingDefinitions.map((d) => [d.describe().title, d.capabilities.extrapolates]);
 * ```
 */
export const encodingDefinitions: readonly EncodingDefinition[] = Object.freeze([
  sinusoidalDefinition,
  linearPositionDefinition,
  learnedPositionDefinition,
  ropeDefinition,
  alibiDefinition,
  t5RelativeBiasDefinition,
  nopeDefinition,
]);

/**
 * Registers every encoding of this package (`sinusoidal`, `linear`, `learned`, `rope`, `alibi`, `t5`,
 * `nope`) in `registry` (default: {@link positionalEncodings}). Papers: see each definition's `describe()`,
 * e.g. RoPE https://arxiv.org/abs/2104.09864.
 *
 * @example
 * ```ts
 * registerEncodings();
 * const enc = positionalEncodings.get('rope').create({ base: 500000 }, { modelDim: 512, heads: 8, headDim: 64, maxLength: 2048, seed: 0 });
 * ```
 */
export function registerEncodings(registry: EncodingRegistry = positionalEncodings): void {
  for (const definition of encodingDefinitions) registry.register(definition);
}
