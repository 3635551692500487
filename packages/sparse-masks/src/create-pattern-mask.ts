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
  if (config === null || typeof config !== 'object' || typeof config.pattern !== 'string') {
    throw new InvalidArgumentError(
      'createPatternMask',
      'config.pattern',
      `a pattern name (${registry.names().join(', ')})`,
      (config as Partial<PatternConfig> | null)?.pattern,
    );
  }
  const { pattern, ...given } = config;
  const definition = registry.get(pattern);
  return definition.create(resolvePatternParameters(definition, given), context);
}
