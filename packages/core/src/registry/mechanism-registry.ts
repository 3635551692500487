import { RegistryError } from '../errors.js';
import type { MechanismDefinition } from './mechanism.js';

/**
 * An explicit, typed map from mechanism names to definitions. Packages fill it through their
 * `register…()` functions; nothing registers itself on import. Registering a name twice throws.
 *
 * @example
 * ```ts
 * const registry = new MechanismRegistry();
 * registerCoreMechanisms(registry);
 * registry.get('dense').create({}, { seed: 0, heads: 8, headDim: 64 });
 * ```
 */
export class MechanismRegistry {
  private readonly entries = new Map<string, MechanismDefinition>();

  /** Adds a definition; throws if the name is taken. */
  register(definition: MechanismDefinition): void {
    if (this.entries.has(definition.name)) {
      throw new RegistryError(
        `The attention mechanism "${definition.name}" is already registered. Register each package once (or use a new MechanismRegistry).`,
      );
    }
    this.entries.set(definition.name, Object.freeze(definition));
  }

  /** The definition registered under `name`; throws with the known names otherwise. */
  get(name: string): MechanismDefinition {
    const d = this.entries.get(name);
    if (d === undefined) {
      throw new RegistryError(
        `No attention mechanism "${name}" is registered; known: ${this.names().join(', ') || '(none)'}. ` +
          'Did you call the register function of the package that provides it?',
      );
    }
    return d;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Registered definitions, sorted by name. */
  list(): MechanismDefinition[] {
    return this.names().map((n) => this.entries.get(n)!);
  }
}

/** The default registry the transformer package and the apps read.  *
 * @example
 * ```ts
 * registerCoreMechanisms(); // fills this registry
 * attentionMechanisms.names(); // ['dense', 'memory-efficient']
 * ```
 */
export const attentionMechanisms = new MechanismRegistry();
