import * as fc from 'fast-check';
import { invalidBooleanArbitrary, invalidNumberArbitrary } from './fuzz-arbitraries.js';

/**
 * fast-check arbitraries over the options an `OptionSchema` of `@efficient-attention/core` describes (mask
 * patterns, encodings, mechanisms): valid option objects, and objects with exactly one invalid entry that
 * validation must reject naming it. The schema types are restated structurally here: test-utils sits below
 * core.
 */

/** The fields of core's `OptionSpec` these arbitraries read. */
export interface OptionSpecLike {
  readonly type: 'number' | 'boolean' | 'enum' | 'string' | 'integer-list';
  readonly default?: unknown;
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly positive?: boolean;
  readonly exclusive?: boolean;
  readonly values?: readonly string[];
}

/** Structurally, core's `OptionSchema`. */
export type OptionSchemaLike = Readonly<Record<string, OptionSpecLike>>;

/** Options of {@link validOptionsArbitrary} and {@link invalidOptionArbitrary}. */
export interface SchemaArbitraryOptions {
  /** Arbitraries for given keys (a `string` option naming a registered pattern, a bound that depends on N…). */
  overrides?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
  /** How far above its lower bound an option without `max` may go (default 16): keeps cases small. */
  span?: number;
  /** Keys never generated (e.g. options that need a tensor). */
  omit?: readonly string[];
  /** Longest generated integer list (default 4). */
  maxListLength?: number;
}

function numberArbitrary(spec: OptionSpecLike, span: number): fc.Arbitrary<number> {
  // An open interval (min, max): non-integers strictly inside; integers one step in.
  const interior = spec.exclusive === true;
  const positive = spec.positive === true;
  if (spec.integer) {
    const lo = Math.max(
      (spec.min ?? (positive ? 1 : 0)) + (interior ? 1 : 0),
      positive ? 1 : Number.NEGATIVE_INFINITY,
    );
    const hi = Math.min((spec.max ?? lo + span) - (interior ? 1 : 0), lo + span);
    return fc.integer({ min: Math.ceil(lo), max: Math.max(Math.ceil(lo), Math.floor(hi)) });
  }
  const lo = Math.max(spec.min ?? 0, positive ? 1e-3 : Number.NEGATIVE_INFINITY);
  const hi = Math.min(spec.max ?? lo + span, lo + span);
  if (interior && hi > lo) {
    const margin = (hi - lo) * 1e-3;
    return fc.double({ min: lo + margin, max: hi - margin, noNaN: true, noDefaultInfinity: true });
  }
  const bounds = [lo, hi].filter((x) => !(positive && x <= 0));
  return fc.oneof(
    fc.constantFrom(...bounds),
    fc.double({ min: lo, max: Math.max(lo, hi), noNaN: true, noDefaultInfinity: true }),
  );
}

/** An arbitrary of valid values of one spec (undefined when it cannot generate one: a free string). */
export function validOptionValueArbitrary(
  spec: OptionSpecLike,
  options: { span?: number; maxListLength?: number } = {},
): fc.Arbitrary<unknown> | undefined {
  const span = options.span ?? 16;
  switch (spec.type) {
    case 'number':
      return numberArbitrary(spec, span);
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return spec.values && spec.values.length > 0 ? fc.constantFrom(...spec.values) : undefined;
    case 'string':
      return typeof spec.default === 'string' ? fc.constant(spec.default) : undefined;
    case 'integer-list': {
      const min = spec.min ?? 0;
      return fc.array(fc.integer({ min, max: min + span }), { maxLength: options.maxListLength ?? 4 });
    }
  }
}

/** An arbitrary of values one spec rejects (type, range, integrality). */
export function invalidOptionValueArbitrary(spec: OptionSpecLike): fc.Arbitrary<unknown> {
  switch (spec.type) {
    case 'number':
      return invalidNumberArbitrary({
        ...(spec.integer ? { integer: true } : {}),
        ...(spec.positive ? { positive: true } : {}),
        ...(spec.exclusive ? { exclusive: true } : {}),
        ...(spec.min === undefined ? {} : { min: spec.min }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
      });
    case 'boolean':
      return invalidBooleanArbitrary();
    case 'enum':
      // No numbers: a schema cannot say "an integer or 'auto'" (performer's numFeatures), so an enum option
      // may accept numbers its schema does not list.
      return fc.constantFrom(`not-${spec.values?.[0] ?? 'a-value'}`, true, {});
    case 'string':
      return fc.constantFrom(42, null, true, {});
    case 'integer-list':
      return fc.constantFrom(
        [1.5],
        'x',
        [Number.NaN],
        7,
        ...(spec.min === undefined ? [] : [[spec.min - 1]]),
      );
  }
}

function keysOf(schema: OptionSchemaLike, options: SchemaArbitraryOptions): string[] {
  return Object.keys(schema).filter((k) => !options.omit?.includes(k));
}

/**
 * Valid option objects of a schema: each key absent (its default applies) or a valid value; options without
 * a default are given more often. Bounds without `max` stay within `span` of the lower bound.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(validOptionsArbitrary(definition.options), (params) => { … }));
 * ```
 */
export function validOptionsArbitrary(
  schema: OptionSchemaLike,
  options: SchemaArbitraryOptions = {},
): fc.Arbitrary<Record<string, unknown>> {
  const entries: Record<string, fc.Arbitrary<unknown>> = {};
  for (const key of keysOf(schema, options)) {
    const spec = schema[key]!;
    const value =
      options.overrides?.[key] ??
      validOptionValueArbitrary(spec, {
        ...(options.span === undefined ? {} : { span: options.span }),
        ...(options.maxListLength === undefined ? {} : { maxListLength: options.maxListLength }),
      });
    if (value === undefined) continue;
    entries[key] = fc.option(value, { nil: undefined, freq: spec.default === undefined ? 5 : 2 });
  }
  return fc
    .record(entries)
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

/** An option object with exactly one invalid entry, and which key it is. */
export interface InvalidOptionCase {
  /** The offending key (an unknown key, or a schema key with a value it rejects). */
  key: string;
  value: unknown;
  options: Record<string, unknown>;
}

/**
 * Option objects with one invalid entry: a schema key with a value its spec rejects, or an unknown key (a
 * typo of a real one). Validation must throw a clear error naming `key`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(invalidOptionArbitrary(schema), ({ key, options }) => {
 *   expectContract(() => create(options), { property: 'invalid options', mustThrow: new RegExp(key) });
 * }));
 * ```
 */
export function invalidOptionArbitrary(
  schema: OptionSchemaLike,
  options: SchemaArbitraryOptions = {},
): fc.Arbitrary<InvalidOptionCase> {
  const keys = keysOf(schema, options);
  const base = validOptionsArbitrary(schema, options);
  const typo = fc
    .constantFrom(...(keys.length > 0 ? keys : ['option']))
    .map((k) => ({ key: `${k}s`, value: 1 as unknown }))
    .filter(({ key }) => !(key in schema));
  const wrong =
    keys.length === 0
      ? typo
      : fc
          .constantFrom(...keys)
          .chain((key) => invalidOptionValueArbitrary(schema[key]!).map((value) => ({ key, value })));
  return fc
    .tuple(base, fc.oneof({ arbitrary: wrong, weight: 4 }, { arbitrary: typo, weight: 1 }))
    .map(([valid, { key, value }]) => ({ key, value, options: { ...valid, [key]: value } }));
}
