import {
  assertKnownOptions,
  assertNumber,
  createRandom,
  InvalidArgumentError,
  type RandomSource,
} from '@efficient-attention/core';
import type { TaskBatch } from './task-batch.js';

/**
 * A small ListOps (Nangia & Bowman 2018, https://arxiv.org/abs/1804.06028; the LRA version, Tay et al.
 * 2021, https://arxiv.org/abs/2011.04006): nested `[MAX …]`, `[MIN …]`, `[MED …]`, `[SM …]` (sum mod 10)
 * over digits, depth-bounded, classified into its value 0–9. Sequences are `CLS expr PAD…`.
 */
export interface ListOpsOptions {
  /** Padded sequence length (CLS included); longer expressions are redrawn. */
  seqLen: number;
  /** Largest nesting depth of operators (1 = a flat list). */
  maxDepth: number;
  /** Largest number of arguments of an operator (≥ 2). */
  maxArgs: number;
  /** Probability that an argument below the root is a digit rather than a nested operator. */
  leafProbability: number;
}

export const LISTOPS_PAD = 0;
export const LISTOPS_CLS = 1;
/** Digits 0–9 are tokens 2–11. */
export const LISTOPS_DIGIT = 2;
export const LISTOPS_OPERATORS = ['MAX', 'MIN', 'MED', 'SM'] as const;
export type ListOpsOperator = (typeof LISTOPS_OPERATORS)[number];
/** `[MAX` … `[SM` are tokens 12–15; `]` is 16. */
export const LISTOPS_FIRST_OPERATOR = 12;
export const LISTOPS_CLOSE = 16;
export const LISTOPS_VOCAB_SIZE = 17;
export const LISTOPS_CLASSES = 10;

/** Applies an operator the LRA way (`MED` of an even count is the floor of the two middle values' mean). */
export function applyListOp(op: ListOpsOperator, args: readonly number[]): number {
  switch (op) {
    case 'MAX':
      return Math.max(...args);
    case 'MIN':
      return Math.min(...args);
    case 'SM':
      return args.reduce((a, b) => a + b, 0) % 10;
    case 'MED': {
      const s = [...args].sort((a, b) => a - b);
      const m = s.length >> 1;
      return s.length % 2 === 1 ? s[m]! : Math.floor((s[m - 1]! + s[m]!) / 2);
    }
  }
}

function validate(options: ListOpsOptions): void {
  const fn = 'listops';
  assertKnownOptions(fn, options, ['seqLen', 'maxDepth', 'maxArgs', 'leafProbability']);
  assertNumber(fn, 'options.seqLen', options.seqLen, { integer: true, min: 6 });
  assertNumber(fn, 'options.maxDepth', options.maxDepth, { integer: true, min: 1 });
  assertNumber(fn, 'options.maxArgs', options.maxArgs, { integer: true, min: 2 });
  assertNumber(fn, 'options.leafProbability', options.leafProbability, { min: 0, max: 1 });
}

/** Draws an expression; returns its tokens and its value (computed while drawing). */
function drawExpression(options: ListOpsOptions, random: RandomSource, depth: number): [number[], number] {
  const leaf = depth > options.maxDepth || (depth > 1 && random.uniform() < options.leafProbability);
  if (leaf) {
    const digit = random.int(10);
    return [[LISTOPS_DIGIT + digit], digit];
  }
  const opIndex = random.int(LISTOPS_OPERATORS.length);
  const count = 2 + random.int(options.maxArgs - 1);
  const tokens = [LISTOPS_FIRST_OPERATOR + opIndex];
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const [t, v] = drawExpression(options, random, depth + 1);
    tokens.push(...t);
    values.push(v);
  }
  tokens.push(LISTOPS_CLOSE);
  return [tokens, applyListOp(LISTOPS_OPERATORS[opIndex]!, values)];
}

/** Redraws at most this many times per example before giving up on a too-short `seqLen`. */
const MAX_DRAWS = 1000;

/**
 * A seeded batch of ListOps examples (classification: `targets[b]` is the value of example b).
 *
 * @example
 * ```ts
 * const b = listOpsBatch({ seqLen: 64, maxDepth: 3, maxArgs: 4, leafProbability: 0.6 }, 16, 0);
 * ```
 */
export function listOpsBatch(options: ListOpsOptions, batch: number, seed: number): TaskBatch {
  validate(options);
  assertNumber('listOpsBatch', 'batch', batch, { integer: true, min: 1 });
  const random = createRandom(seed);
  const { seqLen } = options;
  const tokens = new Int32Array(batch * seqLen).fill(LISTOPS_PAD);
  const targets = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let drawn: [number[], number] | undefined;
    for (let attempt = 0; attempt < MAX_DRAWS && drawn === undefined; attempt++) {
      const candidate = drawExpression(options, random, 1);
      if (candidate[0].length + 1 <= seqLen) drawn = candidate;
    }
    if (drawn === undefined) {
      throw new InvalidArgumentError(
        'listOpsBatch',
        'options.seqLen',
        `long enough for expressions of depth ${options.maxDepth} with ${options.maxArgs} arguments (${MAX_DRAWS} draws were all longer)`,
        seqLen,
        'Raise seqLen or lower maxDepth / maxArgs / raise leafProbability.',
      );
    }
    tokens[b * seqLen] = LISTOPS_CLS;
    tokens.set(drawn[0], b * seqLen + 1);
    targets[b] = drawn[1];
  }
  return { batch, seqLen, tokens, targets };
}

/** Renders tokens as text, e.g. `[MAX 3 [MIN 4 7 ] 2 ]` (CLS and padding dropped). */
export function listOpsToText(tokens: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === LISTOPS_PAD || t === LISTOPS_CLS) continue;
    if (t === LISTOPS_CLOSE) parts.push(']');
    else if (t >= LISTOPS_FIRST_OPERATOR) parts.push(`[${LISTOPS_OPERATORS[t - LISTOPS_FIRST_OPERATOR]}`);
    else parts.push(String(t - LISTOPS_DIGIT));
  }
  return parts.join(' ');
}
