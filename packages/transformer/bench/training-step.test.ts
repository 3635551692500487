import { registerWasmKernels, unregisterWasmKernels } from '@efficient-attention/backends';
import { useBackend } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, trainStep } from '../src/index.js';
import {
  stepCaseName,
  TRAINING_STEP_SIZES,
  TRAINING_VARIANTS,
  type TrainingStepSizes,
  trainingStepCases,
  trainingStepRatios,
  withoutOurKernels,
} from './training-step.bench.js';

/**
 * Smoke test of the transformer-training bench at small sizes, on wasm with the kernels registered: both
 * paths of every mechanism run, leave no tensor behind, run the kernels they say (tf.profile's kernel list),
 * and — from the same seed — train the same model: equal losses over 3 steps within 1e-3 relative (float32
 * kernels vs tfjs-ops references, Adam amplifying rounding a little each step).
 */
const SMALL: TrainingStepSizes = {
  seqLen: 32,
  batch: 2,
  dModel: 16,
  numHeads: 2,
  numLayers: 1,
  vocabSize: 16,
  window: 8,
};

/** The kernel each mechanism trains through, seen in the kernel path's step and never in the reference's. */
const EXPECTED_KERNEL: Record<string, string> = {
  dense: 'EAFusedAttention',
  'sliding-window': 'EABlockSparseAttention',
  'linear-elu': 'EACausalLinearAttention',
};

describe('transformer-training bench (small sizes, wasm with the kernels)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    await registerWasmKernels({ threads: 1 });
  });
  afterAll(() => unregisterWasmKernels());

  it('declares every ratio over cases it has, for every mechanism', () => {
    for (const sizes of [SMALL, TRAINING_STEP_SIZES]) {
      const names = new Set(trainingStepCases(sizes).map((c) => c.name));
      expect(names.size).toBe(2 * TRAINING_VARIANTS.length);
      for (const r of trainingStepRatios(sizes)) {
        expect(names.has(r.numerator), r.numerator).toBe(true);
        expect(names.has(r.denominator), r.denominator).toBe(true);
      }
    }
  });

  it('every case runs its step, and a step after the first leaves no tensor behind', () => {
    const cases = trainingStepCases(SMALL);
    for (const c of cases) {
      const inputs = c.setup(); // builds the case's model once (kept, like the harness's process)
      // The first step creates Adam's moment variables (state, not a leak); the next must add nothing.
      tf.dispose(c.run(inputs));
      const before = tf.memory().numTensors;
      tf.dispose(c.run(inputs));
      expect(tf.memory().numTensors, c.name).toBe(before);
      tf.dispose(inputs);
    }
  });

  for (const [label, attention] of TRAINING_VARIANTS) {
    it(`${label}: the kernel and reference paths train the same model from the same seed`, async () => {
      const losses = { kernels: [] as number[], reference: [] as number[] };
      const seen: Record<keyof typeof losses, string[]> = { kernels: [], reference: [] };
      const case0 = trainingStepCases(SMALL).find((c) => c.name === stepCaseName(label, 'kernels', 32))!;
      const inputs = case0.setup() as { tokens: tf.Tensor2D; targets: tf.Tensor2D };
      for (const path of ['kernels', 'reference'] as const) {
        const model = createModel({
          task: 'causal-lm',
          vocabSize: SMALL.vocabSize,
          maxSeqLen: SMALL.seqLen,
          dModel: SMALL.dModel,
          numHeads: SMALL.numHeads,
          numLayers: SMALL.numLayers,
          attention: attention(SMALL),
          positional: { encoding: 'rope' },
          seed: 3,
        });
        const optimizer = tf.train.adam(1e-2);
        const step = () => trainStep(model, optimizer, inputs.tokens, inputs.targets, { clipNorm: 1 });
        const run = path === 'reference' ? () => withoutOurKernels(step) : step;
        const { kernelNames } = await tf.profile(() => {
          losses[path].push(run());
        });
        seen[path] = kernelNames.filter((n) => n.startsWith('EA'));
        for (let i = 0; i < 2; i++) losses[path].push(run());
        optimizer.dispose();
        model.dispose();
      }
      tf.dispose(inputs);
      expect(seen.kernels).toContain(EXPECTED_KERNEL[label]);
      expect(seen.reference).toEqual([]);
      expect(losses.kernels[2]!).toBeLessThan(losses.kernels[0]!);
      for (let i = 0; i < 3; i++) {
        expect(Math.abs(losses.kernels[i]! - losses.reference[i]!)).toBeLessThan(1e-3 * losses.reference[i]!);
      }
    });
  }
});
