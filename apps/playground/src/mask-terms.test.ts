import { builtinCatalogue } from '@efficient-attention/all';
import {
  documentMaskPattern,
  globalTokensPattern,
  slidingWindowPattern,
  stridedPattern,
} from '@efficient-attention/sparse-masks';
import { describe, expect, it } from 'vitest';
import {
  type MaskTerm,
  parseMaskTerms,
  parseOptionValue,
  termOptions,
  writeMaskTerms,
} from './mask-terms.js';

const patterns = builtinCatalogue().patterns;
const fallback: MaskTerm[] = [{ pattern: slidingWindowPattern.name, negate: false, values: { radius: '2' } }];

describe('mask terms in the URL', () => {
  it('reads registered patterns with their options by the definitions’ option keys, and writes them back', () => {
    const params = new URLSearchParams(
      `terms=${slidingWindowPattern.name},!${globalTokensPattern.name}&1.radius=3&2.indices=0,5&2.radius=9&n=16`,
    );
    const terms = parseMaskTerms(params, patterns, fallback);
    expect(terms).toEqual([
      { pattern: slidingWindowPattern.name, negate: false, values: { radius: '3' } },
      // `radius` is not an option of global tokens: dropped.
      { pattern: globalTokensPattern.name, negate: true, values: { indices: '0,5' } },
    ]);
    const out = new URLSearchParams('n=16&3.stride=4');
    writeMaskTerms(out, terms);
    expect(out.get('n')).toBe('16');
    expect(out.has('3.stride')).toBe(false);
    expect(parseMaskTerms(out, patterns, fallback)).toEqual(terms);
  });

  it('falls back when no registered pattern is named', () => {
    expect(parseMaskTerms(new URLSearchParams(''), patterns, fallback)).toEqual(fallback);
    expect(parseMaskTerms(new URLSearchParams('terms=nothing'), patterns, fallback)).toEqual(fallback);
  });

  it('lists every registered pattern, including the ones that need the lengths or document ids', () => {
    const names = patterns.names();
    for (const d of [documentMaskPattern, stridedPattern, slidingWindowPattern])
      expect(names).toContain(d.name);
    expect(names.length).toBeGreaterThanOrEqual(14);
  });
});

describe('option values by their spec', () => {
  it('converts numbers, booleans and integer lists, and leaves the rest for the schema to reject', () => {
    const options = termOptions(stridedPattern.options, { stride: '4', causal: 'false' });
    expect(options).toEqual({ stride: 4, causal: false });
    expect(termOptions(globalTokensPattern.options, { indices: '0, 2,3' })).toEqual({ indices: [0, 2, 3] });
    expect(termOptions(globalTokensPattern.options, { indices: '0, a' })).toEqual({ indices: [0, 'a'] });
    // An empty number field is unset: the default applies.
    expect(termOptions(slidingWindowPattern.options, { radius: '' })).toEqual({});
    expect(parseOptionValue({ type: 'enum', values: ['a'], description: '' }, 'a')).toBe('a');
  });
});
