/**
 * `pnpm bench --filter transformer-training`: one training step (`trainStep`: forward, `tf.variableGrads`,
 * Adam) of a small causal LM per mechanism, on `wasm` with `@efficient-attention/backends`' WebAssembly
 * kernels (forward and backward) against the reference path — the same step with those kernels out of tfjs's
 * kernel registry, so core's tfjs-ops references run and tfjs differentiates them — as interleaved ratios
 * (both alternate in one process, each with its own model from the same seed).
 *
 * Which backward runs as a kernel depends on the kernels registered (a backward without one runs its tfjs-ops
 * reference); the ratio measures the step either way. A kernel case whose kernels are not registered throws
 * (its row says why) instead of timing the reference by mistake.
 */
import { registerWasmKernels } from '@efficient-attention/backends';
import { type BenchCase, type BenchRatio, defineBenchSuite } from '@efficient-attention/bench';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ModelConfig, type TransformerModel, trainStep } from '../src/index.js';

/** Sizes of the suite (the default export's; the smoke test uses a small copy). */
export interface TrainingStepSizes {
  seqLen: number;
  batch: number;
  dModel: number;
  numHeads: number;
  numLayers: number;
  vocabSize: number;
  /** Sliding-window reach (`before`) and block size of the block-sparse variant. */
  window: number;
}

export const TRAINING_STEP_SIZES: TrainingStepSizes = {
  seqLen: 1024,
  batch: 1,
  dModel: 128,
  numHeads: 4,
  numLayers: 2,
  vocabSize: 256,
  window: 64,
};

/** The mechanisms timed: each trains through a different kernel (fused, block-sparse, causal linear). */
export const TRAINING_VARIANTS: Array<[string, (s: TrainingStepSizes) => ModelConfig['attention']]> = [
  ['dense', () => ({ mechanism: 'dense' })],
  [
    'sliding-window',
    (s) => ({
      mechanism: 'block-sparse',
      config: { pattern: 'sliding-window', before: s.window, blockSize: s.window },
    }),
  ],
  ['linear-elu', () => ({ mechanism: 'linear-elu' })],
];

export type TrainingPath = 'kernels' | 'reference';

/**
 * Runs `fn` with every `EA…` kernel of the active backend taken out of tfjs's kernel registry (public
 * `unregisterKernel` / `registerKernel`), so the kernel contracts run their tfjs-ops references and tfjs
 * differentiates them: the training path without this project's kernels, in the same process.
 */
export function withoutOurKernels<T>(fn: () => T): T {
  const ours = tf.getKernelsForBackend(tf.getBackend()).filter((k) => k.kernelName.startsWith('EA'));
  for (const k of ours) tf.unregisterKernel(k.kernelName, k.backendName);
  try {
    return fn();
  } finally {
    for (const k of ours) tf.registerKernel(k);
  }
}

export const stepCaseName = (label: string, path: TrainingPath, n: number) =>
  `train step ${label} N=${n} ${path}`;

type StepInputs = {
  tokens: tf.Tensor2D;
  targets: tf.Tensor2D;
};

/** Seeded tokens and their next-token targets (−1 where there is nothing to predict). */
function stepInputs(s: TrainingStepSizes): StepInputs {
  const ids = Array.from({ length: s.batch * (s.seqLen + 1) }, (_, i) => (i * 7919 + 13) % s.vocabSize);
  const rows = Array.from({ length: s.batch }, (_, b) =>
    ids.slice(b * (s.seqLen + 1), (b + 1) * (s.seqLen + 1)),
  );
  return {
    tokens: tf.tensor2d(
      rows.map((r) => r.slice(0, -1)),
      [s.batch, s.seqLen],
      'int32',
    ),
    targets: tf.tensor2d(
      rows.map((r) => r.slice(1)),
      [s.batch, s.seqLen],
      'int32',
    ),
  };
}

/** A model and its Adam optimizer per case, built once per process (the harness runs a case per process). */
const trainers = new Map<string, { model: TransformerModel; optimizer: tf.Optimizer }>();

/** The suite's cases: per mechanism, one step on the kernels and one on the reference path. */
export function trainingStepCases(s: TrainingStepSizes): BenchCase[] {
  return TRAINING_VARIANTS.flatMap(([label, attention]) =>
    (['kernels', 'reference'] as const).map((path) => {
      const name = stepCaseName(label, path, s.seqLen);
      const step = (x: StepInputs) => {
        const { model, optimizer } = trainers.get(name)!;
        trainStep(model, optimizer, x.tokens, x.targets, { clipNorm: 1 });
      };
      return {
        name,
        params: {
          N: s.seqLen,
          batch: s.batch,
          dModel: s.dModel,
          heads: s.numHeads,
          layers: s.numLayers,
          mechanism: label,
          path,
        },
        setup: () => {
          if (
            path === 'kernels' &&
            !tf.getKernelsForBackend(tf.getBackend()).some((k) => k.kernelName.startsWith('EA'))
          ) {
            throw new Error(
              `no EA kernel is registered on ${tf.getBackend()}: this case times the kernels (registerWasmKernels did not run or failed)`,
            );
          }
          if (!trainers.has(name)) {
            const model = createModel({
              task: 'causal-lm',
              vocabSize: s.vocabSize,
              maxSeqLen: s.seqLen,
              dModel: s.dModel,
              numHeads: s.numHeads,
              numLayers: s.numLayers,
              attention: attention(s),
              positional: { encoding: 'rope' },
              seed: 1,
            });
            trainers.set(name, { model, optimizer: tf.train.adam(1e-3) });
          }
          return stepInputs(s);
        },
        // trainStep reads the loss and leaves no tensor behind: nothing to settle.
        run: (x: StepInputs) => {
          if (path === 'reference') withoutOurKernels(() => step(x));
          else step(x);
          return [];
        },
        iterations: 3,
      } as BenchCase<StepInputs>;
    }),
  );
}

/** Reference / kernels per mechanism, interleaved: > 1 means the kernels train faster. */
export function trainingStepRatios(s: TrainingStepSizes): BenchRatio[] {
  return TRAINING_VARIANTS.map(([label]) => ({
    name: `train step ${label} at N=${s.seqLen}: reference / kernels (> 1: the kernels are faster)`,
    numerator: stepCaseName(label, 'reference', s.seqLen),
    denominator: stepCaseName(label, 'kernels', s.seqLen),
    interleaved: true,
    rounds: 3,
  }));
}

// The harness runs each case (and each interleaved pair) in a child process (`run-case.ts` / `run-pair.ts`);
// only there are the kernels loaded, so importing this file (discovery, tests) registers nothing.
if (/run-(case|pair)\.ts$/.test(process.argv[1] ?? '')) await registerWasmKernels({ threads: 2 });

export default defineBenchSuite({
  name: 'transformer-training',
  backends: ['wasm'],
  iterations: 3,
  cases: trainingStepCases(TRAINING_STEP_SIZES),
  ratios: trainingStepRatios(TRAINING_STEP_SIZES),
});
