import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainJob } from './jobs.js';
import { trainAndEvaluate } from './train-and-evaluate.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const base: TrainJob = {
  kind: 'train',
  experiment: 'length-extrapolation',
  runId: 'test',
  // trainAndEvaluate runs on the active backend (the worker set it up from this before calling it).
  backend: { backend: 'cpu', kernelThreads: 0, kernels: {} },
  task: {
    name: 'copy-reverse',
    options: { mode: 'reverse', length: 3, alphabetSize: 4 },
    testLengths: [3, 6],
  },
  model: {
    task: 'causal-lm',
    vocabSize: 6,
    maxSeqLen: 8, // 2·3 + 2: the training length only
    dModel: 8,
    numHeads: 2,
    numLayers: 1,
    ffnMultiplier: 1,
    attention: { mechanism: 'dense' },
    positional: { encoding: 'learned' },
    seed: 1,
  },
  training: {
    steps: 3,
    batchSize: 4,
    learningRate: 1e-2,
    clipNorm: 1,
    evalExamples: 8,
    lossEvery: 1,
    seed: 1,
  },
  evalSeed: 9,
};

describe('trainAndEvaluate', () => {
  it('trains, evaluates held-out data, and reports lengths past maxSeqLen as n/a, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const out = await trainAndEvaluate(base, (step) => steps.push(step));
    expect(steps).toEqual([1, 2, 3]);
    expect(out.lossCurve.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(out.metrics['accuracy@L3']).toBeGreaterThanOrEqual(0);
    expect(out.metrics['accuracy@L3']).toBeLessThanOrEqual(1);
    expect(out.metrics['loss@L3']).toBeGreaterThan(0);
    expect(out.metrics['accuracy@L6']).toBeNull();
    expect(out.notes.join()).toMatch(
      /n\/a@L6: sequences of 14 tokens exceed maxSeqLen = 8 \(learned positions stop there\)/,
    );
    expect(out.parameterCount).toBeGreaterThan(0);
    expect(out.weightBytes.float32).toBe(4 * out.parameterCount);
    expect(out.attentionDensity).toBeGreaterThan(0);
    expect(out.tfPeakBytes).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops a diverged run with the step at which the loss stopped being finite', async () => {
    const job: TrainJob = { ...base, training: { ...base.training, learningRate: Number.NaN } };
    await expect(trainAndEvaluate(job, () => {})).rejects.toThrow(/loss is NaN at step 2 \(diverged\)/);
  });
});
