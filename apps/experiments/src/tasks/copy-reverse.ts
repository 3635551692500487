import {
  assertKnownOptions,
  assertNumber,
  createRandom,
  InvalidArgumentError,
} from '@efficient-attention/core';
import { IGNORE_INDEX, type TaskBatch } from './task-batch.js';

/**
 * Copy or reverse a random string (the length-extrapolation probe): `BOS x₁…x_L SEP y₁…y_L`, where `y` is
 * `x` (copy) or `x` reversed (reverse). A causal LM predicts each `y_j` at the position before it. Train at
 * one `length`, test at 2× and 4× (Press et al. 2022, ALiBi, https://arxiv.org/abs/2108.12409).
 */
export interface CopyReverseOptions {
  mode: 'copy' | 'reverse';
  /** Length L of the string; the sequence has 2L + 2 tokens. */
  length: number;
  /** Number of distinct symbols. */
  alphabetSize: number;
}

export const COPY_REVERSE_BOS = 0;
export const COPY_REVERSE_SEP = 1;
/** Symbols are 2…alphabetSize+1. */
export const COPY_REVERSE_FIRST_SYMBOL = 2;

/** Vocabulary size for an alphabet (BOS, SEP and the symbols). */
export function copyReverseVocabSize(alphabetSize: number): number {
  return COPY_REVERSE_FIRST_SYMBOL + alphabetSize;
}

/** Sequence length of an example with strings of length L. */
export function copyReverseSeqLen(length: number): number {
  return 2 * length + 2;
}

function validate(options: CopyReverseOptions): void {
  const fn = 'copyReverse';
  assertKnownOptions(fn, options, ['mode', 'length', 'alphabetSize']);
  if (options.mode !== 'copy' && options.mode !== 'reverse') {
    throw new InvalidArgumentError(fn, 'options.mode', "'copy' or 'reverse'", options.mode);
  }
  assertNumber(fn, 'options.length', options.length, { integer: true, min: 1 });
  assertNumber(fn, 'options.alphabetSize', options.alphabetSize, { integer: true, min: 2 });
}

/**
 * A seeded batch of copy / reverse examples.
 *
 * @example
 * ```ts
 * const b = copyReverseBatch({ mode: 'reverse', length: 8, alphabetSize: 10 }, 16, 3); // seqLen 18
 * ```
 */
export function copyReverseBatch(options: CopyReverseOptions, batch: number, seed: number): TaskBatch {
  validate(options);
  assertNumber('copyReverseBatch', 'batch', batch, { integer: true, min: 1 });
  const { mode, length: l, alphabetSize } = options;
  const seqLen = copyReverseSeqLen(l);
  const random = createRandom(seed);
  const tokens = new Int32Array(batch * seqLen);
  const targets = new Int32Array(batch * seqLen).fill(IGNORE_INDEX);
  for (let b = 0; b < batch; b++) {
    const row = b * seqLen;
    const x = Array.from({ length: l }, () => COPY_REVERSE_FIRST_SYMBOL + random.int(alphabetSize));
    const y = mode === 'copy' ? x : [...x].reverse();
    tokens[row] = COPY_REVERSE_BOS;
    for (let i = 0; i < l; i++) tokens[row + 1 + i] = x[i]!;
    tokens[row + l + 1] = COPY_REVERSE_SEP;
    for (let j = 0; j < l; j++) {
      tokens[row + l + 2 + j] = y[j]!;
      // y_j is predicted at the position before it (SEP for y₁).
      targets[row + l + 1 + j] = y[j]!;
    }
  }
  return { batch, seqLen, tokens, targets };
}
