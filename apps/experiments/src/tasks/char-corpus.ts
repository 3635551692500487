import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertNumber, InvalidArgumentError, type RandomSource } from '@efficient-attention/core';
import type { TaskBatch } from './task-batch.js';

/** The corpus shipped with the app: Bierce's *The Devil's Dictionary* (public domain; see corpus/README.md). */
export const DEFAULT_CORPUS_PATH = fileURLToPath(
  new URL('../../corpus/devils-dictionary.txt', import.meta.url),
);

/**
 * A character-level corpus: a vocabulary (the sorted distinct characters of the text), and a contiguous
 * split into training text (the first `1 − heldOutFraction`) and held-out text (the rest).
 */
export class CharCorpus {
  /** Characters by token id. */
  readonly vocabulary: readonly string[];
  readonly train: Int32Array;
  readonly heldOut: Int32Array;
  private readonly ids: Map<string, number>;

  constructor(text: string, options: { heldOutFraction?: number } = {}) {
    const fraction = options.heldOutFraction ?? 0.1;
    assertNumber('CharCorpus', 'options.heldOutFraction', fraction, { min: 0.001, max: 0.5 });
    const chars = Array.from(text);
    if (chars.length < 1000) {
      throw new InvalidArgumentError(
        'CharCorpus',
        'text',
        'at least 1000 characters',
        `${chars.length} characters`,
      );
    }
    this.vocabulary = [...new Set(chars)].sort();
    this.ids = new Map(this.vocabulary.map((c, i) => [c, i]));
    const all = Int32Array.from(chars, (c) => this.ids.get(c)!);
    const cut = Math.floor(all.length * (1 - fraction));
    this.train = all.slice(0, cut);
    this.heldOut = all.slice(cut);
  }

  /** Reads a UTF-8 text file (default: the shipped corpus). */
  static fromFile(path = DEFAULT_CORPUS_PATH, options: { heldOutFraction?: number } = {}): CharCorpus {
    return new CharCorpus(readFileSync(path, 'utf8'), options);
  }

  get vocabSize(): number {
    return this.vocabulary.length;
  }

  encode(text: string): Int32Array {
    return Int32Array.from(Array.from(text), (c) => {
      const id = this.ids.get(c);
      if (id === undefined) {
        throw new InvalidArgumentError('CharCorpus.encode', 'text', 'characters of the corpus vocabulary', c);
      }
      return id;
    });
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.vocabulary[i] ?? '\uFFFD').join('');
  }

  /** Random training windows: tokens `text[i … i+s)`, targets `text[i+1 … i+s]`. */
  sampleTrain(batch: number, seqLen: number, random: RandomSource): TaskBatch {
    assertNumber('CharCorpus.sampleTrain', 'seqLen', seqLen, {
      integer: true,
      min: 1,
      max: this.train.length - 1,
    });
    const starts = Array.from({ length: batch }, () => random.int(this.train.length - seqLen));
    return windows(this.train, starts, seqLen);
  }

  /**
   * Held-out windows for evaluation: consecutive, non-overlapping, at most `maxWindows` of them (always the
   * same ones), in batches of `batch`.
   */
  heldOutBatches(batch: number, seqLen: number, maxWindows: number): TaskBatch[] {
    const count = Math.min(maxWindows, Math.floor((this.heldOut.length - 1) / seqLen));
    if (count < 1) {
      throw new InvalidArgumentError(
        'CharCorpus.heldOutBatches',
        'seqLen',
        'shorter than the held-out text',
        seqLen,
      );
    }
    const starts = Array.from({ length: count }, (_, i) => i * seqLen);
    const out: TaskBatch[] = [];
    for (let i = 0; i < starts.length; i += batch)
      out.push(windows(this.heldOut, starts.slice(i, i + batch), seqLen));
    return out;
  }
}

function windows(ids: Int32Array, starts: number[], seqLen: number): TaskBatch {
  const tokens = new Int32Array(starts.length * seqLen);
  const targets = new Int32Array(starts.length * seqLen);
  starts.forEach((s, b) => {
    tokens.set(ids.subarray(s, s + seqLen), b * seqLen);
    targets.set(ids.subarray(s + 1, s + seqLen + 1), b * seqLen);
  });
  return { batch: starts.length, seqLen, tokens, targets };
}
