import { describe, expect, it } from 'vitest';
import { MQAR_FILLER, mqarBatch, mqarLayout } from './mqar.js';
import { IGNORE_INDEX } from './task-batch.js';

const options = { seqLen: 48, numKeys: 16, numValues: 8, numPairs: 4, numQueries: 3, minGap: 20 };

describe('mqar', () => {
  it('puts every answer at least minGap tokens after its key–value pair, and the target is that value', () => {
    const { tokens, targets } = mqarBatch(options, 32, 7);
    let queries = 0;
    for (let b = 0; b < 32; b++) {
      const row = Array.from(tokens.subarray(b * 48, (b + 1) * 48));
      for (let t = 0; t < 48; t++) {
        const target = targets[b * 48 + t]!;
        if (target === IGNORE_INDEX) continue;
        queries++;
        const keyAt = row.indexOf(row[t]!);
        expect(keyAt).toBeLessThan(t);
        expect(keyAt % 2).toBe(0);
        expect(row[keyAt + 1]).toBe(target);
        expect(t - (keyAt + 1)).toBeGreaterThanOrEqual(options.minGap);
      }
      // Keys are distinct within an example; the middle is filler.
      const keys = row.slice(0, 8).filter((_, i) => i % 2 === 0);
      expect(new Set(keys).size).toBe(4);
      expect(row.slice(8, 45).every((x) => x === MQAR_FILLER)).toBe(true);
      expect(Math.max(...row)).toBeLessThan(mqarLayout(options).vocabSize);
    }
    expect(queries).toBe(32 * 3);
  });

  it('is reproducible from the seed and differs across seeds', () => {
    expect(mqarBatch(options, 4, 1).tokens).toEqual(mqarBatch(options, 4, 1).tokens);
    expect(mqarBatch(options, 4, 1).tokens).not.toEqual(mqarBatch(options, 4, 2).tokens);
  });

  it('rejects layouts whose answers would sit within minGap of their keys, with a sentence', () => {
    expect(() => mqarLayout({ ...options, seqLen: 20 })).toThrow(
      /`options.seqLen` must be at least 30 so that answers are ≥ 20 tokens from their keys, received 20/,
    );
    expect(() => mqarLayout({ ...options, numQueries: 5 })).toThrow(/numQueries/);
    expect(() => mqarLayout({ ...options, extra: 1 } as typeof options)).toThrow(/extra/);
  });
});
