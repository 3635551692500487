import {
  assertNumber,
  InvalidArgumentError,
  type MechanismDefinition,
  memoryEfficientMechanism,
} from '@efficient-attention/core';
import { type CopyReverseOptions, copyReverseBatch } from './tasks/copy-reverse.js';
import { type ListOpsOptions, listOpsBatch } from './tasks/listops.js';
import { type MqarOptions, mqarLayout } from './tasks/mqar.js';

/** How a model is trained; every run of an experiment uses its experiment's settings. */
export interface TrainingSettings {
  steps: number;
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Global-norm gradient clipping. */
  clipNorm: number;
  /** Held-out examples evaluated after training (in batches of `batchSize`). */
  evalExamples: number;
  /** The training loss is recorded every this many steps (loss curves). */
  lossEvery: number;
  /** One run per seed; tables show the mean (and spread when > 1 seed). */
  seeds: number[];
}

/** The transformer every training experiment shares (per preset). */
export interface ModelSize {
  dModel: number;
  numHeads: number;
  numLayers: number;
  ffnMultiplier: number;
}

/** One attention variant: a label for tables, its family, and a registry mechanism with its JSON config. */
export interface AttentionVariant {
  label: string;
  family: 'dense' | 'sparse' | 'adaptive' | 'linear' | 'low-rank' | 'hashing' | 'quantized';
  mechanism: string;
  config?: Record<string, unknown>;
  /** A mask pattern applied through the mechanism's `mask` option (`ModelConfig.attention.mask`). */
  mask?: { pattern: string } & Record<string, unknown>;
}

/** One positional encoding by registry name. */
export interface EncodingVariant {
  label: string;
  encoding: string;
  config?: Record<string, unknown>;
}

/** Training settings of the quick preset: one seed, Adam 5e-3, loss recorded every 10 steps. */
function quickTraining(steps: number, batchSize: number, evalExamples: number): TrainingSettings {
  return { steps, batchSize, learningRate: 5e-3, clipNorm: 1, evalExamples, lossEvery: 10, seeds: [1] };
}

/** Training settings of the full preset: two seeds, Adam 5e-3 (as quick), loss recorded every 20 steps. */
function fullTraining(steps: number, batchSize: number, evalExamples: number): TrainingSettings {
  return { steps, batchSize, learningRate: 5e-3, clipNorm: 1, evalExamples, lossEvery: 20, seeds: [1, 2] };
}

/** A preset fixes every size, step count and seed, so a run is reproducible from its name. */
export interface Preset {
  name: 'quick' | 'full';
  /** Base seed; tasks' held-out data and each run's seeds derive from it. */
  seed: number;
  model: ModelSize;
  attentionKernels: { lengths: number[]; heads: number; headDim: number; repeats: number };
  mqar: { task: MqarOptions; training: TrainingSettings; variants: AttentionVariant[] };
  lengthExtrapolation: {
    task: CopyReverseOptions;
    /** Test string lengths as multiples of the training length. */
    testMultipliers: number[];
    training: TrainingSettings;
    encodings: EncodingVariant[];
  };
  listops: { task: ListOpsOptions; training: TrainingSettings; variants: AttentionVariant[] };
  charLm: { seqLen: number; training: TrainingSettings; evalWindows: number };
  inferenceScaling: {
    lengths: number[];
    heads: number;
    headDim: number;
    repeats: number;
    /**
     * Mechanisms left out of this preset's timing (every definition with a `benchmark` capability is timed
     * otherwise; see `inferenceVariants`).
     */
    skip: readonly MechanismDefinition[];
  };
  /** A run (one training or one measurement) that takes longer is stopped and reported as failed. */
  runTimeoutSeconds: number;
}

/** Window radius of the local variants; MQAR's minGap must exceed numLayers × radius. */
const RADIUS = 8;
const BLOCK = 8;

/**
 * MQAR / ListOps variants at sequence lengths 32–64. Sliding-window and Longformer masks are applied to
 * dense attention (`attention.mask`): the same function as block-sparse execution, which at these lengths
 * only adds per-block overhead (it trained ~4× slower); `inference-scaling` times the block-sparse kernels.
 * BigBird stays block-sparse, as its blocks must match the mask's block size.
 */
function trainingVariants(globalBlocks: number, globalIndices: number[], full: boolean): AttentionVariant[] {
  const all: AttentionVariant[] = [
    { label: 'dense', family: 'dense', mechanism: 'dense' },
    {
      label: 'sliding window',
      family: 'sparse',
      mechanism: 'dense',
      mask: { pattern: 'sliding-window', radius: RADIUS },
    },
    {
      label: 'longformer (window + global)',
      family: 'sparse',
      mechanism: 'dense',
      mask: { pattern: 'longformer', radius: RADIUS, globalIndices },
    },
    {
      label: 'bigbird (window + global + random)',
      family: 'sparse',
      mechanism: 'block-sparse',
      config: { pattern: 'bigbird', windowBlocks: 3, globalBlocks, randomBlocks: 1, blockSize: BLOCK },
    },
    {
      label: 'adaptive span',
      family: 'adaptive',
      mechanism: 'adaptive-span',
      config: { maxSpan: 64, rampSize: 8, initialSpan: RADIUS, blockSize: BLOCK, execution: 'dense' },
    },
    { label: 'linear (elu+1)', family: 'linear', mechanism: 'linear-elu' },
    { label: 'performer (FAVOR+)', family: 'linear', mechanism: 'performer', config: { numFeatures: 32 } },
  ];
  // quick keeps one variant per family (and both local and global sparse); full runs them all.
  return full ? all : all.filter((v) => !v.label.startsWith('bigbird') && !v.label.startsWith('performer'));
}

/** ListOps is classification over `CLS expr`: non-causal, pooled from CLS (the longformer global token). */
function listOpsVariants(seqLen: number, full: boolean): AttentionVariant[] {
  const all: AttentionVariant[] = [
    { label: 'dense', family: 'dense', mechanism: 'dense' },
    {
      label: 'sliding window',
      family: 'sparse',
      mechanism: 'dense',
      mask: { pattern: 'sliding-window', radius: RADIUS },
    },
    {
      label: 'longformer (window + global CLS)',
      family: 'sparse',
      mechanism: 'dense',
      mask: { pattern: 'longformer', radius: RADIUS, globalIndices: [0] },
    },
    { label: 'linear (elu+1)', family: 'linear', mechanism: 'linear-elu' },
    { label: 'performer (FAVOR+)', family: 'linear', mechanism: 'performer', config: { numFeatures: 32 } },
    {
      label: 'linformer (k=16)',
      family: 'low-rank',
      mechanism: 'linformer',
      config: { projectedLength: Math.min(16, seqLen) },
    },
  ];
  return full ? all : all.filter((v) => ['dense', 'sliding window', 'linformer (k=16)'].includes(v.label));
}

/**
 * Training sequences stay below 64 tokens in quick: at 64 × 64 scores core's dense attention switches to
 * per-(batch, head) matMuls on wasm (fast for one long sequence, ~4× slower for a batch of short ones).
 */
const QUICK_MQAR: MqarOptions = {
  seqLen: 40,
  numKeys: 8,
  numValues: 8,
  numPairs: 3,
  numQueries: 3,
  minGap: 20,
};

const QUICK_ENCODINGS: EncodingVariant[] = [
  { label: 'sinusoidal', encoding: 'sinusoidal' },
  { label: 'learned', encoding: 'learned' },
  { label: 'RoPE', encoding: 'rope' },
  { label: 'ALiBi', encoding: 'alibi' },
];
const ENCODINGS: EncodingVariant[] = [
  ...QUICK_ENCODINGS,
  { label: 'T5 buckets', encoding: 't5' },
  { label: 'NoPE', encoding: 'nope' },
];

export const PRESETS: Readonly<Record<Preset['name'], Preset>> = Object.freeze({
  quick: {
    name: 'quick',
    seed: 42,
    model: { dModel: 32, numHeads: 2, numLayers: 2, ffnMultiplier: 2 },
    attentionKernels: { lengths: [256, 512, 1024], heads: 8, headDim: 64, repeats: 3 },
    mqar: {
      task: QUICK_MQAR,
      training: quickTraining(250, 24, 128),
      variants: trainingVariants(1, [0, 1, 2, 3, 4, 5], false),
    },
    lengthExtrapolation: {
      task: { mode: 'reverse', length: 8, alphabetSize: 8 },
      testMultipliers: [1, 2, 4],
      training: quickTraining(150, 24, 64),
      encodings: QUICK_ENCODINGS,
    },
    listops: {
      task: { seqLen: 32, maxDepth: 2, maxArgs: 4, leafProbability: 0.5 },
      training: quickTraining(120, 32, 256),
      variants: listOpsVariants(32, false),
    },
    charLm: { seqLen: 48, training: quickTraining(120, 16, 64), evalWindows: 64 },
    inferenceScaling: {
      lengths: [1024, 2048, 4096],
      heads: 4,
      headDim: 32,
      repeats: 2,
      // Exact like dense and 2–3× slower at these lengths: the quick preset keeps its minutes for the rest.
      skip: [memoryEfficientMechanism],
    },
    runTimeoutSeconds: 1500,
  },
  /**
   * full: every variant and encoding, two seeds (tables show mean ± spread), longer tasks and training, and
   * inference up to N = 16384. Sized to finish in about an hour on 2 cores (the measured time is in the
   * README); the published tables in the docs are quick's, which full reproduces at larger scale.
   */
  full: {
    name: 'full',
    seed: 42,
    model: { dModel: 48, numHeads: 4, numLayers: 2, ffnMultiplier: 2 },
    attentionKernels: { lengths: [256, 512, 1024, 2048, 4096], heads: 8, headDim: 64, repeats: 5 },
    mqar: {
      task: { seqLen: 56, numKeys: 16, numValues: 16, numPairs: 4, numQueries: 4, minGap: 24 },
      training: fullTraining(400, 32, 512),
      variants: trainingVariants(
        1,
        Array.from({ length: 8 }, (_, i) => i),
        true,
      ),
    },
    lengthExtrapolation: {
      task: { mode: 'reverse', length: 12, alphabetSize: 12 },
      testMultipliers: [1, 2, 4],
      training: fullTraining(400, 32, 256),
      encodings: ENCODINGS,
    },
    listops: {
      task: { seqLen: 48, maxDepth: 3, maxArgs: 4, leafProbability: 0.55 },
      training: fullTraining(300, 32, 512),
      variants: listOpsVariants(48, true),
    },
    charLm: { seqLen: 96, training: fullTraining(500, 16, 256), evalWindows: 256 },
    inferenceScaling: {
      lengths: [1024, 2048, 4096, 8192, 16384],
      heads: 4,
      headDim: 32,
      repeats: 3,
      skip: [],
    },
    runTimeoutSeconds: 1800,
  },
});

/** Looks a preset up by name, with an error that lists the valid ones. */
export function getPreset(name: string): Preset {
  const preset = (PRESETS as Record<string, Preset>)[name];
  if (!preset)
    throw new InvalidArgumentError(
      'experiments',
      '--preset',
      `one of ${Object.keys(PRESETS).join(', ')}`,
      name,
    );
  return preset;
}

function assertTraining(where: string, t: TrainingSettings): void {
  for (const key of ['steps', 'batchSize', 'evalExamples', 'lossEvery'] as const) {
    assertNumber('experiments', `${where}.training.${key}`, t[key], { integer: true, min: 1 });
  }
  assertNumber('experiments', `${where}.training.learningRate`, t.learningRate, { positive: true });
  assertNumber('experiments', `${where}.training.clipNorm`, t.clipNorm, { positive: true });
  if (t.seeds.length === 0)
    throw new InvalidArgumentError('experiments', `${where}.training.seeds`, 'at least one seed', t.seeds);
}

/**
 * Checks that a preset can run and measures what it claims: task options are valid, and MQAR's answers sit
 * farther from their keys than any local-attention variant can see (numLayers × radius), so a sliding
 * window must fail there and global / dense attention need not. Throws a sentence naming the field.
 */
export function validatePreset(preset: Preset): Preset {
  const { model, mqar } = preset;
  if (model.dModel % model.numHeads !== 0) {
    throw new InvalidArgumentError(
      'experiments',
      `${preset.name}.model.dModel`,
      `a multiple of numHeads (${model.numHeads})`,
      model.dModel,
    );
  }
  mqarLayout(mqar.task);
  for (const v of mqar.variants) {
    const radius = v.mask?.radius ?? v.config?.radius;
    if (typeof radius === 'number' && mqar.task.minGap <= model.numLayers * radius) {
      throw new InvalidArgumentError(
        'experiments',
        `${preset.name}.mqar.task.minGap`,
        `greater than numLayers × radius = ${model.numLayers * radius} (the reach of "${v.label}"), or local attention could answer`,
        mqar.task.minGap,
      );
    }
  }
  listOpsBatch(preset.listops.task, 1, preset.seed);
  copyReverseBatch(preset.lengthExtrapolation.task, 1, preset.seed);
  assertTraining(`${preset.name}.mqar`, mqar.training);
  assertTraining(`${preset.name}.lengthExtrapolation`, preset.lengthExtrapolation.training);
  assertTraining(`${preset.name}.listops`, preset.listops.training);
  assertTraining(`${preset.name}.charLm`, preset.charLm.training);
  if (!preset.lengthExtrapolation.testMultipliers.includes(1)) {
    throw new InvalidArgumentError(
      'experiments',
      `${preset.name}.lengthExtrapolation.testMultipliers`,
      'a list that includes 1 (the training length)',
      preset.lengthExtrapolation.testMultipliers,
    );
  }
  assertNumber('experiments', `${preset.name}.runTimeoutSeconds`, preset.runTimeoutSeconds, {
    positive: true,
  });
  return preset;
}
