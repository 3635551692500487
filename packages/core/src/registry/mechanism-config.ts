import { InvalidArgumentError } from '../errors.js';
import type { MechanismDefinition } from './mechanism.js';
import { resolveOptions } from './option-schema.js';

/**
 * Validates a mechanism config the way every consumer must (model configs, the experiments, the playground):
 * against the definition's option schema, plus its own `checkConfig` where keys depend on each other.
 * Returns the config merged over the definition's defaults.
 *
 * @example
 * ```ts
 * resolveMechanismConfig(performerMechanism, { numFeatures: 64 }); // { numFeatures: 64, orthogonal: true, … }
 * resolveMechanismConfig(performerMechanism, { features: 64 }); // throws: `config.features` must be one of …
 * ```
 */
export function resolveMechanismConfig(
  definition: MechanismDefinition,
  config: unknown = {},
  fn = definition.name,
  path = 'config',
): Record<string, unknown> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new InvalidArgumentError(fn, path, 'a config object', config);
  }
  const given = config as Record<string, unknown>;
  if (definition.checkConfig !== undefined) return definition.checkConfig(given, fn, path);
  return {
    ...(definition.defaultConfig as Record<string, unknown>),
    ...resolveOptions(fn, path, definition.options, given),
  };
}
