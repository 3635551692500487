import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { BenchCase } from './define-suite.js';
import { measureCase, measurePair } from './measure-case.js';
import { median } from './median.js';

const sumCase = (n: number, calls: number[]): BenchCase<tf.Tensor> => ({
  name: `sum N=${n}`,
  params: { N: n },
  setup: () => tf.ones([n]),
  run: (x) => {
    calls.push(n);
    return tf.sum(x);
  },
});

describe('measure-case', () => {
  it('times two cases alternately after one warm-up each, and frees every tensor', async () => {
    await tf.setBackend('cpu');
    const calls: number[] = [];
    const before = tf.memory().numTensors;
    const pair = await measurePair(sumCase(4, calls), sumCase(8, calls), 'cpu', 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(pair).toMatchObject({ status: 'ok', rounds: 3 });
    expect(pair.numeratorMs).toBeGreaterThanOrEqual(0);
    expect(pair.denominatorMs).toBeGreaterThanOrEqual(0);
    // warm-up round, then 3 timed rounds, each numerator then denominator
    expect(calls).toEqual([4, 8, 4, 8, 4, 8, 4, 8]);
  });

  it('runs `batch` calls per contender per round and reports the mean per call', async () => {
    await tf.setBackend('cpu');
    const calls: number[] = [];
    const pair = await measurePair(sumCase(4, calls), sumCase(8, calls), 'cpu', 2, 3);
    expect(pair).toMatchObject({ status: 'ok', rounds: 2 });
    // warm-up round and 2 timed rounds, each 3 numerator calls then 3 denominator calls
    expect(calls).toEqual(Array.from({ length: 3 }, () => [4, 4, 4, 8, 8, 8]).flat());
  });

  it('reports a failing case as an error row with its message, not a crash', async () => {
    const failing: BenchCase<tf.Tensor> = {
      ...sumCase(4, []),
      run: () => {
        throw new Error('shapes do not match\nstack…');
      },
    };
    expect(await measurePair(failing, sumCase(8, []), 'cpu', 2)).toEqual({
      status: 'error',
      note: 'shapes do not match',
    });
    const row = await measureCase('suite', failing, 'cpu', 2);
    expect(row).toMatchObject({ status: 'error', note: 'shapes do not match', case: 'sum N=4' });
  });

  it('takes medians of odd and even counts without reordering its input', () => {
    const xs = [4, 1, 3, 2];
    expect(median(xs)).toBe(2.5);
    expect(median([5, 9, 1])).toBe(5);
    expect(xs).toEqual([4, 1, 3, 2]);
  });
});
