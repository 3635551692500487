import { createRegistry, type Registry } from './create-registry.js';
import type { MechanismDefinition } from './mechanism.js';

/** A registry of attention mechanisms ({@link createRegistry} over {@link MechanismDefinition}s). */
export type MechanismRegistry = Registry<string, MechanismDefinition>;

/**
 * A new, empty (or pre-filled) mechanism registry. Packages fill it through their `register…()` functions;
 * nothing registers itself on import. Registering a name twice throws.
 *
 * @example
 * ```ts
 * const registry = createMechanismRegistry();
 * registerCoreMechanisms(registry);
 * registry.get('dense').create({}, { seed: 0, heads: 8, headDim: 64 });
 * ```
 */
export function createMechanismRegistry(definitions: Iterable<MechanismDefinition> = []): MechanismRegistry {
  return createRegistry<string, MechanismDefinition>({
    kind: 'attention mechanism',
    hint: 'Did you call the register function of the package that provides it (or registerAll() of @efficient-attention/all)?',
    definitions,
  });
}

/**
 * The default registry; empty until a `register…()` call fills it.
 *
 * @example
 * ```ts
 * registerCoreMechanisms(); // fills this registry
 * attentionMechanisms.names(); // ['dense', 'memory-efficient']
 * ```
 */
export const attentionMechanisms: MechanismRegistry = createMechanismRegistry();
