import {
  assertKnownOptions,
  assertNumber,
  createRandom,
  InvalidArgumentError,
} from '@efficient-attention/core';
import { IGNORE_INDEX, type TaskBatch } from './task-batch.js';

/**
 * Multi-query associative recall (MQAR; Arora et al. 2023, "Zoology", https://arxiv.org/abs/2312.04927),
 * laid out so that every answer is far from its key: `numPairs` key–value pairs open the sequence, filler
 * tokens follow, and the last `numQueries` positions repeat keys whose values must be recalled there.
 *
 * ```
 * k₁ v₁ k₂ v₂ … k_P v_P  _ _ _ … _  k₃ k₁ …      (targets: v₃ v₁ … at the query positions)
 * ```
 */
export interface MqarOptions {
  /** Sequence length. */
  seqLen: number;
  /** Distinct keys in the vocabulary (≥ numPairs). */
  numKeys: number;
  /** Distinct values in the vocabulary (values may repeat across pairs). */
  numValues: number;
  /** Key–value pairs per example. */
  numPairs: number;
  /** Queries per example (≤ numPairs; each asks a different key). */
  numQueries: number;
  /**
   * Smallest allowed distance from a value token to any query position. Set it above the receptive field of
   * local attention (layers × window radius) so that a sliding window cannot answer.
   */
  minGap: number;
}

const OPTION_KEYS = ['seqLen', 'numKeys', 'numValues', 'numPairs', 'numQueries', 'minGap'] as const;

/** Token ids: 0 is the filler, keys are 1…numKeys, values follow. */
export const MQAR_FILLER = 0;

/** Where the pairs and queries sit, and the vocabulary size. */
export interface MqarLayout {
  readonly vocabSize: number;
  /** First query position (queries run to the end). */
  readonly firstQuery: number;
  /** Distance from the last value to the first query: the smallest key–answer distance. */
  readonly gap: number;
}

/** Validates MQAR options and returns the layout; errors say which option to change. */
export function mqarLayout(options: MqarOptions): MqarLayout {
  const fn = 'mqar';
  assertKnownOptions(fn, options, OPTION_KEYS);
  for (const key of OPTION_KEYS) assertNumber(fn, `options.${key}`, options[key], { integer: true, min: 1 });
  const { seqLen, numKeys, numValues, numPairs, numQueries, minGap } = options;
  if (numKeys < numPairs)
    throw new InvalidArgumentError(fn, 'options.numKeys', `≥ numPairs (${numPairs})`, numKeys);
  if (numQueries > numPairs) {
    throw new InvalidArgumentError(fn, 'options.numQueries', `≤ numPairs (${numPairs})`, numQueries);
  }
  const firstQuery = seqLen - numQueries;
  const gap = firstQuery - (2 * numPairs - 1);
  if (gap < minGap) {
    throw new InvalidArgumentError(
      fn,
      'options.seqLen',
      `at least ${2 * numPairs - 1 + minGap + numQueries} so that answers are ≥ ${minGap} tokens from their keys`,
      seqLen,
    );
  }
  return { vocabSize: 1 + numKeys + numValues, firstQuery, gap };
}

/**
 * A seeded batch of MQAR examples (causal-LM layout: the target at a query position is the value paired
 * with the key there; every other target is `IGNORE_INDEX`). Same seed, same batch.
 *
 * @example
 * ```ts
 * const b = mqarBatch({ seqLen: 64, numKeys: 16, numValues: 16, numPairs: 4, numQueries: 4, minGap: 24 }, 8, 1);
 * ```
 */
export function mqarBatch(options: MqarOptions, batch: number, seed: number): TaskBatch {
  const { firstQuery } = mqarLayout(options);
  assertNumber('mqarBatch', 'batch', batch, { integer: true, min: 1 });
  const { seqLen, numKeys, numValues, numPairs, numQueries } = options;
  const random = createRandom(seed);
  const tokens = new Int32Array(batch * seqLen).fill(MQAR_FILLER);
  const targets = new Int32Array(batch * seqLen).fill(IGNORE_INDEX);
  for (let b = 0; b < batch; b++) {
    const row = b * seqLen;
    const keys = random.sample(numKeys, numPairs).map((k) => 1 + k);
    const values = keys.map(() => 1 + numKeys + random.int(numValues));
    for (let p = 0; p < numPairs; p++) {
      tokens[row + 2 * p] = keys[p]!;
      tokens[row + 2 * p + 1] = values[p]!;
    }
    const asked = random.sample(numPairs, numQueries);
    for (let q = 0; q < numQueries; q++) {
      tokens[row + firstQuery + q] = keys[asked[q]!]!;
      targets[row + firstQuery + q] = values[asked[q]!]!;
    }
  }
  return { batch, seqLen, tokens, targets };
}
