import {
  assertKnownOptions,
  type MechanismDefinition,
  type OptionSchema,
  optionDefaults,
  resolveOptions,
} from '@efficient-attention/core';

/** Checks one config value the option schema cannot express (`number | 'auto'`, a projections object). */
export type ConfigValueCheck = (fn: string, parameter: string, value: unknown) => void;

/**
 * A `checkConfig` for a definition whose schema cannot describe some keys: those are checked by `special`,
 * every other key by `schema` (unknown keys, types, ranges). Errors name `path.key`. Returns the config
 * over the schema's defaults. Internal to the package.
 *
 * @example
 * ```ts
 * const checkConfig = configChecker(options, { numFeatures: checkAutoOrInteger });
 * ```
 */
export function configChecker(
  schema: OptionSchema,
  special: Readonly<Record<string, ConfigValueCheck>>,
): (config: Readonly<Record<string, unknown>>, fn: string, path: string) => Record<string, unknown> {
  const known = [...new Set([...Object.keys(schema), ...Object.keys(special)])];
  const plainSchema = Object.fromEntries(Object.entries(schema).filter(([key]) => !(key in special)));
  return (config, fn, path) => {
    assertKnownOptions(fn, config, known, path);
    const plain: Record<string, unknown> = {};
    const checked: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config ?? {})) {
      if (!(key in special)) plain[key] = value;
      else if (value !== undefined) {
        special[key]!(fn, `${path}.${key}`, value);
        checked[key] = value;
      }
    }
    return { ...optionDefaults(schema), ...resolveOptions(fn, path, plainSchema, plain), ...checked };
  };
}

/**
 * A mechanism's config checked against its option schema (or its `checkConfig`, where keys need more than
 * the schema says) and merged over its defaults, typed as the definition's config. Errors name
 * `config.<key>`. Internal to the package.
 *
 * @example
 * ```ts
 * const c = resolveConfig(performerMechanism, { numFeatures: 64 }, 'performer.create');
 * ```
 */
export function resolveConfig<C extends object>(
  definition: MechanismDefinition<C>,
  config: Partial<C> | undefined,
  fn: string,
): C {
  if (definition.checkConfig === undefined) {
    return { ...definition.defaultConfig, ...resolveOptions(fn, 'config', definition.options, config) };
  }
  return { ...definition.defaultConfig, ...definition.checkConfig({ ...config }, fn, 'config') };
}
