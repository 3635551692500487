import { adaptiveMechanisms } from '@efficient-attention/adaptive';
import { bitnetMechanisms } from '@efficient-attention/bitnet';
import {
  attentionMechanisms,
  coreMechanisms,
  createMechanismRegistry,
  type MechanismDefinition,
  type MechanismRegistry,
} from '@efficient-attention/core';
import {
  createEncodingRegistry,
  type EncodingDefinition,
  type EncodingRegistry,
  encodingDefinitions,
  positionalEncodings,
} from '@efficient-attention/encodings';
import { linearAttentionMechanisms } from '@efficient-attention/linear-attention';
import {
  builtinMaskPatterns,
  createMaskPatternRegistry,
  type MaskPatternDefinition,
  type MaskPatternRegistry,
  sparseMasksMechanisms,
} from '@efficient-attention/sparse-masks';

/**
 * Every built-in attention mechanism, in the order of the survey's families (dense, sparse, adaptive,
 * linear / low-rank / hashing, quantized). A new mechanism package appears in the transformer, the
 * figures' table, the experiments and the conformance test by being added here — one line.
 *
 * @example
 * ```ts
 * builtinMechanisms.map((d) => `${d.title} (${d.paper.authors} ${d.paper.year})`);
 * ```
 */
export const builtinMechanisms: readonly MechanismDefinition[] = Object.freeze([
  ...coreMechanisms,
  ...sparseMasksMechanisms,
  ...adaptiveMechanisms,
  ...linearAttentionMechanisms,
  ...bitnetMechanisms,
]);

/**
 * Every built-in positional encoding (sinusoidal, linear, learned, RoPE, ALiBi, T5, NoPE; Press et al. 2022
 * compare them: https://arxiv.org/abs/2108.12409).
 *
 * @example
 * ```ts
 * builtinEncodings.map((e) => e.title);
 * ```
 */
export const builtinEncodings: readonly EncodingDefinition[] = encodingDefinitions;

/**
 * Every built-in mask pattern (FlexAttention-style predicates: https://arxiv.org/abs/2412.05496), the
 * patterns block-sparse configs and model-level masks may name.
 *
 * @example
 * ```ts
 * builtinPatterns.map((p) => p.name); // ['causal', 'sliding-window', …]
 * ```
 */
export const builtinPatterns: readonly MaskPatternDefinition[] = builtinMaskPatterns;

/** The three registries of the library: mechanisms, positional encodings, mask patterns. */
export interface Catalogue {
  readonly mechanisms: MechanismRegistry;
  readonly encodings: EncodingRegistry;
  readonly patterns: MaskPatternRegistry;
}

/**
 * New registries holding every built-in definition, independent of the global defaults (so an app can add
 * its own entries without touching anyone else's).
 *
 * @example
 * ```ts
 * const { mechanisms, encodings, patterns } = createCatalogue();
 * mechanisms.get('performer').create({ numFeatures: 64 }, { seed: 0, heads: 8, headDim: 64 });
 * ```
 */
export function createCatalogue(): Catalogue {
  return Object.freeze({
    mechanisms: createMechanismRegistry(builtinMechanisms),
    encodings: createEncodingRegistry(builtinEncodings),
    // The default pattern registry already holds the built-ins; a catalogue gets its own copy.
    patterns: createMaskPatternRegistry(builtinPatterns),
  });
}

/**
 * Registers every built-in mechanism and encoding in the global registries (`attentionMechanisms`,
 * `positionalEncodings`), or in the registries given; the global `maskPatterns` holds the built-in patterns
 * from the start. Like every `register…()` call it runs once: a second call throws (the names are taken).
 *
 * @example
 * ```ts
 * registerAll();
 * attentionMechanisms.names(); // ['adaptive-span', 'block-sparse', 'dense', …]
 * ```
 */
export function registerAll(
  target: { mechanisms?: MechanismRegistry; encodings?: EncodingRegistry } = {},
): void {
  const mechanisms = target.mechanisms ?? attentionMechanisms;
  const encodings = target.encodings ?? positionalEncodings;
  for (const d of builtinMechanisms) mechanisms.register(d);
  for (const d of builtinEncodings) encodings.register(d);
}

let shared: Catalogue | undefined;

/**
 * One catalogue of every built-in, made on first call (never on import) and then shared: what the
 * transformer resolves model configs against and what the apps iterate.
 *
 * @example
 * ```ts
 * builtinCatalogue().mechanisms.list().filter((d) => d.benchmark !== undefined);
 * ```
 */
export function builtinCatalogue(): Catalogue {
  shared ??= createCatalogue();
  return shared;
}
