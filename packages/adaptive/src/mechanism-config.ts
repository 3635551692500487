import { type MechanismDefinition, resolveOptions } from '@efficient-attention/core';

/**
 * A mechanism's config checked against its option schema (unknown keys, types, ranges: errors name
 * `config.<key>`) and merged over its defaults, typed as the definition's config. Internal to the package.
 *
 * @example
 * ```ts
 * const c = resolveConfig(entmaxAlphaMechanism, { iterations: 30 }, 'entmax-alpha.create'); // { initialAlpha: 1.5, iterations: 30 }
 * ```
 */
export function resolveConfig<C extends object>(
  definition: MechanismDefinition<C>,
  config: Partial<C> | undefined,
  fn: string,
): C {
  return { ...definition.defaultConfig, ...resolveOptions(fn, 'config', definition.options, config) };
}
