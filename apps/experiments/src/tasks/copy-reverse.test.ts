import { describe, expect, it } from 'vitest';
import {
  COPY_REVERSE_BOS,
  COPY_REVERSE_SEP,
  copyReverseBatch,
  copyReverseSeqLen,
  copyReverseVocabSize,
} from './copy-reverse.js';
import { IGNORE_INDEX } from './task-batch.js';

function rows(b: ReturnType<typeof copyReverseBatch>) {
  return Array.from({ length: b.batch }, (_, i) => ({
    tokens: Array.from(b.tokens.subarray(i * b.seqLen, (i + 1) * b.seqLen)),
    targets: Array.from(b.targets.subarray(i * b.seqLen, (i + 1) * b.seqLen)),
  }));
}

describe('copyReverseBatch', () => {
  it('reverse: the targets are the input string reversed, predicted one position early', () => {
    const b = copyReverseBatch({ mode: 'reverse', length: 5, alphabetSize: 7 }, 8, 11);
    expect(b.seqLen).toBe(12);
    for (const { tokens, targets } of rows(b)) {
      expect(tokens[0]).toBe(COPY_REVERSE_BOS);
      expect(tokens[6]).toBe(COPY_REVERSE_SEP);
      const x = tokens.slice(1, 6);
      const predicted = targets.filter((t) => t !== IGNORE_INDEX);
      expect(predicted).toEqual([...x].reverse());
      // Teacher forcing: the target at t is the token at t + 1.
      for (let t = 6; t < 11; t++) expect(targets[t]).toBe(tokens[t + 1]);
      expect(targets.slice(0, 6).every((t) => t === IGNORE_INDEX)).toBe(true);
      expect(targets[11]).toBe(IGNORE_INDEX);
      expect(Math.max(...tokens)).toBeLessThan(copyReverseVocabSize(7));
    }
  });

  it('copy: the targets equal the input string', () => {
    const b = copyReverseBatch({ mode: 'copy', length: 4, alphabetSize: 3 }, 4, 2);
    for (const { tokens, targets } of rows(b)) {
      expect(targets.filter((t) => t !== IGNORE_INDEX)).toEqual(tokens.slice(1, 5));
    }
  });

  it('longer test lengths keep the layout (2L + 2) and the seed fixes the data', () => {
    expect(copyReverseSeqLen(32)).toBe(66);
    const a = copyReverseBatch({ mode: 'reverse', length: 32, alphabetSize: 10 }, 2, 5);
    expect(a.tokens.length).toBe(132);
    expect(a.tokens).toEqual(
      copyReverseBatch({ mode: 'reverse', length: 32, alphabetSize: 10 }, 2, 5).tokens,
    );
  });

  it('rejects a bad mode with a sentence', () => {
    expect(() => copyReverseBatch({ mode: 'sort' as 'copy', length: 4, alphabetSize: 3 }, 1, 0)).toThrow(
      /`options.mode` must be 'copy' or 'reverse', received "sort"/,
    );
  });
});
