import { describe, expect, it } from 'vitest';
import { modelJsonUrl, parseTokens } from './models-index.js';

describe('parseTokens', () => {
  it('maps characters through a character vocabulary and explains unknown ones', () => {
    const tokenizer = { kind: 'characters', vocabSize: 4, vocabulary: 'ab c' };
    expect(parseTokens('a cab', tokenizer)).toEqual({ tokens: [0, 2, 3, 0, 1] });
    expect(parseTokens('abz', tokenizer)).toEqual({
      problem: 'These characters are not in the model\'s vocabulary: "z".',
    });
  });

  it('reads token ids and rejects ids outside the vocabulary', () => {
    expect(parseTokens('1, 2 3', { kind: 'mqar', vocabSize: 10 })).toEqual({ tokens: [1, 2, 3] });
    expect(parseTokens('1, 12, -1, x', { kind: 'mqar', vocabSize: 10 })).toEqual({
      problem: 'Token ids must be whole numbers from 0 to 9; not 12, -1, x.',
    });
  });
});

describe('modelJsonUrl', () => {
  it('serves a model folder under models/ next to the page', () => {
    const entry = { path: 'models/dense' } as Parameters<typeof modelJsonUrl>[0];
    expect(modelJsonUrl(entry, 'http://127.0.0.1:4173/play/index.html#/attention')).toBe(
      'http://127.0.0.1:4173/play/models/dense/model.json',
    );
  });
});
