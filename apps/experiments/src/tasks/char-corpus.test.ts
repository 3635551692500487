import { readFileSync } from 'node:fs';
import { createRandom } from '@efficient-attention/core';
import { describe, expect, it } from 'vitest';
import { CharCorpus, DEFAULT_CORPUS_PATH } from './char-corpus.js';

describe('CharCorpus', () => {
  const corpus = CharCorpus.fromFile();
  const text = readFileSync(DEFAULT_CORPUS_PATH, 'utf8');

  it('ships a few hundred KB of text and splits it 90/10, contiguously, with nothing lost', () => {
    expect(text.length).toBeGreaterThan(300_000);
    expect(corpus.train.length + corpus.heldOut.length).toBe(text.length);
    expect(corpus.heldOut.length).toBe(text.length - Math.floor(text.length * 0.9));
    expect(corpus.decode(corpus.train) + corpus.decode(corpus.heldOut)).toBe(text);
    expect(corpus.decode(corpus.heldOut).endsWith('sheds its horn every two years.\n')).toBe(true);
  });

  it('has a sorted character vocabulary that round-trips', () => {
    expect(corpus.vocabulary).toEqual([...new Set(text)].sort());
    expect(corpus.decode(corpus.encode('ZEUS, n.'))).toBe('ZEUS, n.');
    expect(() => corpus.encode('€')).toThrow(/characters of the corpus vocabulary/);
  });

  it('training windows come from the training text and targets are shifted by one', () => {
    const b = corpus.sampleTrain(4, 16, createRandom(1));
    const train = corpus.decode(corpus.train);
    for (let i = 0; i < 4; i++) {
      const x = corpus.decode(b.tokens.subarray(i * 16, (i + 1) * 16));
      const y = corpus.decode(b.targets.subarray(i * 16, (i + 1) * 16));
      const at = train.indexOf(x + y.at(-1));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(y.slice(0, -1)).toBe(x.slice(1));
    }
  });

  it('held-out batches are fixed, consecutive and capped', () => {
    const batches = corpus.heldOutBatches(3, 32, 7);
    expect(batches.map((b) => b.batch)).toEqual([3, 3, 1]);
    expect(corpus.decode(batches[0]!.tokens.subarray(32, 64))).toBe(
      corpus.decode(corpus.heldOut.subarray(32, 64)),
    );
  });
});
