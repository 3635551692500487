import { RegistryError } from '../errors.js';

/** What every registered definition has: the name configs and lookups use. */
export interface Named<Key extends string = string> {
  readonly name: Key;
}

/**
 * An explicit, typed map from names to definitions (xformers-style): filled by explicit `register` calls,
 * never on import; registering a name twice throws; lookups of unknown names throw with the known names.
 * Every catalogue of the library (mechanisms, encodings, mask patterns) is one of these.
 *
 * @example
 * ```ts
 * const registry = createMechanismRegistry();
 * registry.register(denseMechanism);
 * registry.get('dense').capabilities.family; // 'dense'
 * ```
 */
export interface Registry<Key extends string, Definition extends Named<Key>> {
  /** What the registry holds, in words (`attention mechanism`), for error messages. */
  readonly kind: string;
  /** Adds a definition (frozen); throws a {@link RegistryError} if the name is taken. */
  register(definition: Definition): void;
  /** The definition registered under `name`; throws a {@link RegistryError} naming the known names otherwise. */
  get(name: string): Definition;
  has(name: string): boolean;
  /** Registered names, sorted. */
  names(): Key[];
  /** Registered definitions, sorted by name. */
  list(): Definition[];
}

/** Options of {@link createRegistry}. */
export interface CreateRegistryOptions<Definition> {
  /** What the registry holds, singular, e.g. `attention mechanism`. */
  readonly kind: string;
  /** A sentence added to "unknown name" errors, e.g. which register function fills it. */
  readonly hint?: string;
  /** Definitions registered right away, in order. */
  readonly definitions?: Iterable<Definition>;
}

/**
 * Builds a {@link Registry}. `Definition` is checked where definitions are registered, so a definition
 * with a specific config type registers without a cast.
 *
 * @example
 * ```ts
 * const colours = createRegistry<'red' | 'blue', { name: 'red' | 'blue'; hex: string }>({ kind: 'colour' });
 * colours.register({ name: 'red', hex: '#f00' });
 * colours.get('red').hex; // '#f00'
 * ```
 */
export function createRegistry<Key extends string, Definition extends Named<Key>>(
  options: CreateRegistryOptions<Definition>,
): Registry<Key, Definition> {
  const entries = new Map<string, Definition>();
  const names = () => [...entries.keys()].sort() as Key[];
  const registry: Registry<Key, Definition> = {
    kind: options.kind,
    register(definition) {
      if (definition === null || typeof definition !== 'object' || typeof definition.name !== 'string') {
        throw new RegistryError(
          `A ${options.kind} definition needs a string \`name\`; received ${definition === null ? 'null' : typeof definition}.`,
        );
      }
      if (entries.has(definition.name)) {
        throw new RegistryError(
          `The ${options.kind} "${definition.name}" is already registered. Register each package once (or create a new registry).`,
        );
      }
      entries.set(definition.name, Object.isFrozen(definition) ? definition : Object.freeze(definition));
    },
    get(name) {
      const d = entries.get(name);
      if (d === undefined) {
        throw new RegistryError(
          `No ${options.kind} "${String(name)}" is registered; known: ${names().join(', ') || '(none)'}.` +
            (options.hint ? ` ${options.hint}` : ''),
        );
      }
      return d;
    },
    has: (name) => entries.has(name),
    names,
    list: () => names().map((n) => entries.get(n)!),
  };
  for (const d of options.definitions ?? []) registry.register(d);
  return Object.freeze(registry);
}
