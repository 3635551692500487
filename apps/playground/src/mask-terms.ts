import type { OptionSchema, OptionSpec } from '@efficient-attention/core';
import type { MaskPatternDefinition } from '@efficient-attention/sparse-masks';

/** What the masks view needs of the pattern registry. */
export interface PatternLookup {
  has(name: string): boolean;
  get(name: string): Pick<MaskPatternDefinition, 'name' | 'title' | 'options'>;
}

/**
 * One term of the composed mask: a registered pattern, possibly negated, with its options as typed in the
 * page (raw strings, keyed by the definition's option keys; a missing key means the schema's default).
 */
export interface MaskTerm {
  pattern: string;
  negate: boolean;
  values: Readonly<Record<string, string>>;
}

/** The URL key of option `key` of term `index` (0-based): `1.radius` for the first term's radius. */
export function termParamKey(index: number, key: string): string {
  return `${index + 1}.${key}`;
}

const TERM_PARAM = /^(\d+)\.(.+)$/;

/**
 * The terms of a masks URL: `terms=sliding-window,!global-tokens` lists registered patterns (`!` negates),
 * `1.radius=2&2.indices=0,1` gives their options by the definitions' option keys. Unknown patterns and
 * option keys the definition does not have are dropped, so a shared link never breaks the view.
 *
 * @example
 * ```ts
 * parseMaskTerms(new URLSearchParams('terms=sliding-window&1.radius=2'), patterns, fallback);
 * // [{ pattern: 'sliding-window', negate: false, values: { radius: '2' } }]
 * ```
 */
export function parseMaskTerms(
  params: URLSearchParams,
  patterns: PatternLookup,
  fallback: readonly MaskTerm[],
): MaskTerm[] {
  const raw = params.get('terms');
  if (raw === null) return [...fallback];
  const terms = raw
    .split(',')
    .map((t) => ({ negate: t.startsWith('!'), pattern: t.replace(/^!/, '') }))
    .filter((t) => patterns.has(t.pattern));
  if (terms.length === 0) return [...fallback];
  return terms.map((t, i) => {
    const schema = patterns.get(t.pattern).options;
    const values: Record<string, string> = {};
    for (const key of Object.keys(schema)) {
      const value = params.get(termParamKey(i, key));
      if (value !== null) values[key] = value;
    }
    return { ...t, values };
  });
}

/**
 * Writes `terms` into `params` (replacing every term parameter), the inverse of {@link parseMaskTerms}.
 *
 * @example
 * ```ts
 * writeMaskTerms(params, [{ pattern: 'causal', negate: true, values: {} }]); // terms=!causal
 * ```
 */
export function writeMaskTerms(params: URLSearchParams, terms: readonly MaskTerm[]): void {
  for (const key of [...params.keys()]) if (TERM_PARAM.test(key)) params.delete(key);
  params.set('terms', terms.map((t) => `${t.negate ? '!' : ''}${t.pattern}`).join(','));
  terms.forEach((t, i) => {
    for (const [key, value] of Object.entries(t.values)) params.set(termParamKey(i, key), value);
  });
}

/**
 * The value of one option as typed in the page, by its spec: numbers and booleans are converted, an
 * integer list is split on commas; anything that does not convert is passed on as it is, for the schema to
 * reject with a sentence. An empty field is `undefined` (the default, if any).
 */
export function parseOptionValue(spec: OptionSpec, raw: string): unknown {
  const text = raw.trim();
  switch (spec.type) {
    case 'number':
      return text === '' ? undefined : Number(text);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text === '' ? undefined : text;
    case 'integer-list':
      return text === ''
        ? []
        : text.split(',').map((s) => (s.trim() === '' || Number.isNaN(Number(s)) ? s.trim() : Number(s)));
    case 'enum':
    case 'string':
      return text === '' ? undefined : text;
  }
}

/**
 * A term's options for `createPatternMask`: each typed value converted by its spec (keys left empty are
 * left out, so the schema's default applies).
 *
 * @example
 * ```ts
 * termOptions(slidingWindowPattern.options, { radius: '2' }); // { radius: 2 }
 * ```
 */
export function termOptions(
  schema: OptionSchema,
  values: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(values)) {
    const spec = schema[key];
    if (spec === undefined) continue;
    const value = parseOptionValue(spec, raw);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** How an option's current value is shown in its control: the typed value, else the default, else empty. */
export function shownValue(spec: OptionSpec, raw: string | undefined): string {
  if (raw !== undefined) return raw;
  if (spec.default === undefined) return '';
  return Array.isArray(spec.default) ? spec.default.join(', ') : String(spec.default);
}
