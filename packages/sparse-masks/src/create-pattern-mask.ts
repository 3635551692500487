import { InvalidArgumentError, type MaskMod, resolveOptions } from '@efficient-attention/core';
import type { MaskPatternContext, MaskPatternDefinition } from './mask-pattern-definition.js';
import { type MaskPatternRegistry, maskPatterns } from './mask-pattern-registry.js';

/** A pattern named by data: `{ pattern: 'longformer', radius: 32, globalIndices: [0] }`. */
export type PatternConfig = { readonly pattern: string } & Readonly<Record<string, unknown>>;

/**
 * Validates a pattern's parameters against its definition's schema (unknown keys, types, ranges) and fills
 * in its defaults; errors name `fn` (default `pattern "<name>"`) and `options.<key>`.
 *
 * @example
 * ```ts
 * resolvePatternParameters(longformerPattern, { radius: 4 }); // { radius: 4, dilation: 1, globalIndices: [] }
 * resolvePatternParameters(longformerPattern, { width: 4 }); // throws: `options.width` must be one of …
 * ```
 */
export function resolvePatternParameters(
  definition: MaskPatternDefinition,
  params: unknown,
  fn = `pattern "${definition.name}"`,
  /** How the parameters are named in errors (`config.attention.mask` in a model config). */
  path = 'options',
): Record<string, unknown> {
  return resolveOptions(fn, path, definition.options, params);
}

/**
 * Builds the mask a config names: `config.pattern` selects the definition in `registry`, the other keys are
 * its parameters, validated against its schema (unknown keys, types, ranges; see
 * {@link resolvePatternParameters}) before the pattern function runs its own checks.
 * FlexAttention's mask_mods by name: https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const mask = createPatternMask(
 *   { pattern: 'longformer', radius: 32, globalIndices: [0] },
 *   { seed: 0, qLen: 512, kvLen: 512, blockSize: 64 },
 * );
 * createBlockMask(mask, 512, 512, { blockSize: 64 });
 * ```
 */
export function createPatternMask(
  config: PatternConfig,
  context: MaskPatternContext,
  registry: MaskPatternRegistry = maskPatterns,
): MaskMod {
  const definition = patternDefinitionOf(
    'createPatternMask',
    'config.pattern',
    (config as Partial<PatternConfig> | null)?.pattern,
    registry,
  );
  const { pattern: _pattern, ...given } = config;
  return definition.create(resolvePatternParameters(definition, given), context);
}

/**
 * The registered definition of a pattern name given as `parameter` of `fn`: an `InvalidArgumentError` naming
 * the parameter when it is not a string, or not a registered name (the hint lists the known ones) — the one
 * check of a pattern name (createPatternMask, the block-sparse mechanism's config).
 *
 * @example
 * ```ts
 * patternDefinitionOf('block-sparse', 'config.pattern', 'bigbird'); // the BigBird definition
 * patternDefinitionOf('block-sparse', 'config.pattern', 'bigbrd'); // throws: No mask pattern "bigbrd" is registered; known: …
 * ```
 */
export function patternDefinitionOf(
  fn: string,
  parameter: string,
  pattern: unknown,
  registry: MaskPatternRegistry = maskPatterns,
): MaskPatternDefinition {
  if (typeof pattern !== 'string') {
    throw new InvalidArgumentError(fn, parameter, `a pattern name (${registry.names().join(', ')})`, pattern);
  }
  if (!registry.has(pattern)) {
    throw new InvalidArgumentError(
      fn,
      parameter,
      'a registered pattern name',
      pattern,
      `No mask pattern "${pattern}" is registered; known: ${registry.names().join(', ')}.`,
    );
  }
  return registry.get(pattern);
}
