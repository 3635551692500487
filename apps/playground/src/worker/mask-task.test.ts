import { globalTokensPattern, slidingWindowPattern } from '@efficient-attention/sparse-masks';
import { describe, expect, it } from 'vitest';
import { maskTask } from './mask-task.js';

const base = { op: 'or' as const, n: 16, blockSize: 4, seed: 0 };

describe('maskTask', () => {
  it('builds registered patterns by name and composes them', () => {
    const band = { pattern: slidingWindowPattern.name, negate: false, options: { radius: 1 } };
    const first = { pattern: globalTokensPattern.name, negate: false, options: { indices: [0] } };
    // Radius 1 over 16 tokens: 2 rows of 2 keys and 14 of 3 = 46 pairs.
    const alone = maskTask({ ...base, terms: [band] });
    expect(alone.status === 'built' && alone.allowed).toBe(46);
    // Or token 0's row and column: +14 +14.
    const union = maskTask({ ...base, terms: [band, first] });
    expect(union.status === 'built' && union.allowed).toBe(74);
    // And: the band pairs in row 0 or column 0: (0,0), (0,1), (1,0).
    const both = maskTask({ ...base, op: 'and', terms: [band, first] });
    expect(both.status === 'built' && both.allowed).toBe(3);
  });

  it('returns the sentences of the options a definition rejects', () => {
    const result = maskTask({
      ...base,
      terms: [{ pattern: slidingWindowPattern.name, negate: false, options: { radius: -1 } }],
    });
    expect(result.status).toBe('invalid');
    expect(result.status === 'invalid' && result.problems[0]).toMatch(
      /^Pattern 1 \(Sliding window\): .*`options\.radius` must be an integer ≥ 0, received -1/,
    );
  });
});
