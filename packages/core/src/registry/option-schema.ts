import { InvalidArgumentError } from '../errors.js';
import { assertKnownOptions, assertNumber } from '../validation.js';

interface OptionBase<T> {
  /** One sentence: what the option does, with its unit. */
  readonly description: string;
  /** The value used when the option is not given (absent: the option is optional with no default). */
  readonly default?: T;
}

/** A number option: finite, optionally an integer within `[min, max]`. */
export interface NumberOption extends OptionBase<number> {
  readonly type: 'number';
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Larger than 0 (strict), e.g. a temperature. */
  readonly positive?: boolean;
  /** `min` and `max` are excluded: the open interval (min, max), e.g. entmax's α in (1.01, 2). */
  readonly exclusive?: boolean;
}
/** A boolean option. */
export interface BooleanOption extends OptionBase<boolean> {
  readonly type: 'boolean';
}
/** One of a fixed list of strings. */
export interface EnumOption extends OptionBase<string> {
  readonly type: 'enum';
  readonly values: readonly string[];
}
/** A free string, e.g. the name of a registered pattern. */
export interface StringOption extends OptionBase<string> {
  readonly type: 'string';
}
/** A list of integers ≥ `min` (token indices, document ids). */
export interface IntegerListOption extends OptionBase<readonly number[]> {
  readonly type: 'integer-list';
  readonly min?: number;
}

/** The description of one option: its type, default, valid range and meaning. */
export type OptionSpec = NumberOption | BooleanOption | EnumOption | StringOption | IntegerListOption;

/**
 * The one place that says what a valid option of a definition is (mechanism config, encoding options,
 * mask-pattern parameters): read by validation, by the docs' generated tables and by the playground's
 * controls.
 *
 * @example
 * ```ts
 * const schema = defineOptions({
 *   radius: { type: 'number', integer: true, min: 0, default: 64, description: 'Keys each side of the query.' },
 * });
 * ```
 */
export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/**
 * Freezes an {@link OptionSchema} (and each spec) so that it is data, not state.
 *
 * @example
 * ```ts
 * const schema = defineOptions({ causal: { type: 'boolean', default: false, description: 'Mask future keys.' } });
 * ```
 */
export function defineOptions<S extends OptionSchema>(schema: S): S {
  for (const spec of Object.values(schema)) Object.freeze(spec);
  return Object.freeze(schema);
}

/**
 * The defaults of a schema, as a config object (options without a default are left out).
 *
 * @example
 * ```ts
 * optionDefaults(defineOptions({ radius: { type: 'number', default: 64, description: '…' } })); // { radius: 64 }
 * ```
 */
export function optionDefaults(schema: OptionSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.default !== undefined) out[key] = spec.default;
  }
  return out;
}

/** The expected value of a spec, as a phrase for error messages. */
function expectedOf(spec: OptionSpec): string {
  switch (spec.type) {
    case 'boolean':
      return 'a boolean';
    case 'enum':
      return `one of ${spec.values.map((v) => `'${v}'`).join(', ')}`;
    case 'string':
      return 'a string';
    case 'integer-list':
      return `an array of integers${spec.min === undefined ? '' : ` ≥ ${spec.min}`}`;
    case 'number':
      return 'a number';
  }
}

/**
 * Checks one value against its spec; throws an {@link InvalidArgumentError} naming `fn`, the parameter,
 * the expected and the received value.
 *
 * @example
 * ```ts
 * checkOption('slidingWindow', 'options.radius', { type: 'number', integer: true, min: 0, description: '' }, -1); // throws
 * ```
 */
export function checkOption(fn: string, parameter: string, spec: OptionSpec, value: unknown): void {
  switch (spec.type) {
    case 'number':
      assertNumber(fn, parameter, value, {
        ...(spec.integer ? { integer: true } : {}),
        ...(spec.positive ? { positive: true } : {}),
        ...(spec.exclusive ? { exclusive: true } : {}),
        ...(spec.min === undefined ? {} : { min: spec.min }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
      });
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw new InvalidArgumentError(fn, parameter, expectedOf(spec), value);
      return;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value))
        throw new InvalidArgumentError(fn, parameter, expectedOf(spec), value);
      return;
    case 'string':
      if (typeof value !== 'string') throw new InvalidArgumentError(fn, parameter, expectedOf(spec), value);
      return;
    case 'integer-list': {
      const ok =
        Array.isArray(value) &&
        value.every(
          (x) => typeof x === 'number' && Number.isInteger(x) && (spec.min === undefined || x >= spec.min),
        );
      if (!ok) throw new InvalidArgumentError(fn, parameter, expectedOf(spec), value);
      return;
    }
  }
}

/**
 * Validates `given` against `schema` (unknown keys, types, ranges) and fills in the defaults. `given` may be
 * `undefined` (all defaults).
 *
 * @example
 * ```ts
 * resolveOptions('performer', 'config', performerMechanism.options, { numFeatures: 64 });
 * // { numFeatures: 64, orthogonal: true, … }
 * ```
 */
export function resolveOptions(
  fn: string,
  path: string,
  schema: OptionSchema,
  given: unknown,
): Record<string, unknown> {
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) {
    throw new InvalidArgumentError(fn, path, 'an options object', given);
  }
  const options = (given ?? {}) as Record<string, unknown>;
  assertKnownOptions(fn, options, Object.keys(schema), path);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    checkOption(fn, `${path}.${key}`, schema[key]!, value);
  }
  const out = optionDefaults(schema);
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out;
}
