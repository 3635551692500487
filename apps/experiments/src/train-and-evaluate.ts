import { readdirSync } from 'node:fs';
import { createRandom, hashSeed } from '@efficient-attention/core';
import {
  createModel,
  fileSystemIO,
  type TransformerModel,
  tokenCrossEntropy,
  trainStep,
} from '@efficient-attention/transformer';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainJob, TrainOutput } from './jobs.js';
import {
  type AccuracyCount,
  addCounts,
  attentionDensity,
  bitsPerCharacter,
  exactMatchAccuracy,
  majorityBaseline,
  maskedAccuracy,
  perplexity,
  ratio,
  weightedMean,
} from './metrics.js';
import { CharCorpus } from './tasks/char-corpus.js';
import { copyReverseBatch, copyReverseSeqLen } from './tasks/copy-reverse.js';
import { listOpsBatch } from './tasks/listops.js';
import { mqarBatch } from './tasks/mqar.js';
import { IGNORE_INDEX, type TaskBatch } from './tasks/task-batch.js';

/** Held-out data of one evaluation (one test length for copy / reverse). */
interface EvalSet {
  /** Metric-name suffix, e.g. `@L16`; empty for the single evaluation of most tasks. */
  suffix: string;
  seqLen: number;
  batches: () => TaskBatch[];
}

interface TaskData {
  train(step: number): TaskBatch;
  evalSets: EvalSet[];
}

function heldOut(job: TrainJob, make: (batch: number, seed: number) => TaskBatch): TaskBatch[] {
  const { evalExamples, batchSize } = job.training;
  const out: TaskBatch[] = [];
  for (let i = 0, left = evalExamples; left > 0; i++, left -= batchSize) {
    out.push(make(Math.min(batchSize, left), hashSeed(job.evalSeed, 2, i)));
  }
  return out;
}

/** Training batches are a pure function of (run seed, step); held-out data of (evalSeed, index). */
function taskData(job: TrainJob): TaskData {
  const { batchSize, seed } = job.training;
  const trainSeed = (step: number) => hashSeed(seed, 1, step);
  const task = job.task;
  switch (task.name) {
    case 'mqar':
      return {
        train: (step) => mqarBatch(task.options, batchSize, trainSeed(step)),
        evalSets: [
          {
            suffix: '',
            seqLen: task.options.seqLen,
            batches: () => heldOut(job, (b, s) => mqarBatch(task.options, b, s)),
          },
        ],
      };
    case 'listops':
      return {
        train: (step) => listOpsBatch(task.options, batchSize, trainSeed(step)),
        evalSets: [
          {
            suffix: '',
            seqLen: task.options.seqLen,
            batches: () => heldOut(job, (b, s) => listOpsBatch(task.options, b, s)),
          },
        ],
      };
    case 'copy-reverse':
      return {
        train: (step) => copyReverseBatch(task.options, batchSize, trainSeed(step)),
        evalSets: task.testLengths.map((length) => ({
          suffix: `@L${length}`,
          seqLen: copyReverseSeqLen(length),
          batches: () => heldOut(job, (b, s) => copyReverseBatch({ ...task.options, length }, b, s)),
        })),
      };
    case 'char-lm': {
      const corpus = CharCorpus.fromFile();
      const random = createRandom(seed);
      return {
        train: () => corpus.sampleTrain(batchSize, task.seqLen, random),
        evalSets: [
          {
            suffix: '',
            seqLen: task.seqLen,
            batches: () => corpus.heldOutBatches(batchSize, task.seqLen, task.evalWindows),
          },
        ],
      };
    }
  }
}

function toTensors(batch: TaskBatch, classifier: boolean): [tf.Tensor2D, tf.Tensor] {
  const tokens = tf.tensor2d(batch.tokens, [batch.batch, batch.seqLen], 'int32');
  const targets = classifier
    ? tf.tensor1d(batch.targets, 'int32')
    : tf.tensor2d(batch.targets, [batch.batch, batch.seqLen], 'int32');
  return [tokens, targets];
}

interface Evaluation {
  meanLoss: number;
  accuracy: AccuracyCount;
  exact: AccuracyCount;
  labels: number[];
}

async function evaluate(
  model: TransformerModel,
  batches: TaskBatch[],
  classifier: boolean,
): Promise<Evaluation> {
  const losses: { value: number; weight: number }[] = [];
  let accuracy: AccuracyCount = { correct: 0, total: 0 };
  let exact: AccuracyCount = { correct: 0, total: 0 };
  const labels: number[] = [];
  for (const batch of batches) {
    const [tokens, targets] = toTensors(batch, classifier);
    const [loss, predicted] = tf.tidy(() => {
      const logits = model.apply(tokens);
      return [tokenCrossEntropy(logits, targets), tf.argMax(logits, -1)];
    });
    const predictions = await predicted.data();
    const counted = maskedAccuracy(predictions, batch.targets);
    losses.push({ value: (await loss.data())[0]!, weight: counted.total });
    accuracy = addCounts(accuracy, counted);
    if (!classifier) exact = addCounts(exact, exactMatchAccuracy(predictions, batch.targets, batch.seqLen));
    labels.push(...batch.targets.filter((t) => t !== IGNORE_INDEX));
    tf.dispose([tokens, targets, loss, predicted]);
  }
  return { meanLoss: weightedMean(losses), accuracy, exact, labels };
}

/** Mean share of attention weights above 1e-3 over layers and heads, on up to 4 held-out examples. */
async function densityOf(model: TransformerModel, batch: TaskBatch): Promise<number> {
  const rows = Math.min(4, batch.batch);
  const tokens = tf.tensor2d(batch.tokens.subarray(0, rows * batch.seqLen), [rows, batch.seqLen], 'int32');
  const maps = model.attentionMaps(tokens);
  let sum = 0;
  for (const m of maps)
    sum += attentionDensity(await m.data(), batch.seqLen, { causal: model.config.causal ?? false });
  tf.dispose([tokens, ...maps]);
  return sum / maps.length;
}

/**
 * Trains the job's model on its task (Adam, global-norm clipping, the model's auxiliary loss), evaluates it
 * on held-out data, and saves it when asked. A non-finite loss stops the run with an error (reported as a
 * failed row by the caller).
 */
export async function trainAndEvaluate(
  job: TrainJob,
  onProgress: (step: number, total: number, loss: number) => void,
): Promise<TrainOutput> {
  const started = performance.now();
  const model = createModel(job.model);
  const optimizer = tf.train.adam(job.training.learningRate);
  const classifier = job.model.task === 'classifier';
  const data = taskData(job);
  const notes: string[] = [];
  try {
    const { steps, clipNorm, lossEvery } = job.training;
    const lossCurve: { step: number; loss: number }[] = [];
    let tfPeakBytes: number | null = null;
    const trainStarted = performance.now();
    for (let step = 1; step <= steps; step++) {
      const [tokens, targets] = toTensors(data.train(step), classifier);
      let loss = Number.NaN;
      if (step === 1) {
        // Peak tensor bytes of one training step (forward + backward + update).
        const info = await tf.profile(() => {
          loss = trainStep(model, optimizer, tokens, targets, { clipNorm });
        });
        tfPeakBytes = info.peakBytes;
      } else loss = trainStep(model, optimizer, tokens, targets, { clipNorm });
      tf.dispose([tokens, targets]);
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${step} (diverged)`);
      if (step === 1 || step % lossEvery === 0 || step === steps) lossCurve.push({ step, loss });
      onProgress(step, steps, loss);
    }
    const stepsPerSecond = steps / ((performance.now() - trainStarted) / 1000);

    const metrics: Record<string, number | null> = {};
    let density: number | null = null;
    for (const set of data.evalSets) {
      if (set.seqLen > job.model.maxSeqLen) {
        metrics[`accuracy${set.suffix}`] = null;
        metrics[`exact${set.suffix}`] = null;
        metrics[`loss${set.suffix}`] = null;
        notes.push(
          `n/a${set.suffix}: sequences of ${set.seqLen} tokens exceed maxSeqLen = ${job.model.maxSeqLen} (${job.model.positional.encoding} positions stop there)`,
        );
        continue;
      }
      const batches = set.batches();
      const e = await evaluate(model, batches, classifier);
      if (!Number.isFinite(e.meanLoss)) throw new Error(`held-out loss is ${e.meanLoss}${set.suffix}`);
      metrics[`loss${set.suffix}`] = e.meanLoss;
      metrics[`accuracy${set.suffix}`] = ratio(e.accuracy);
      if (job.task.name === 'copy-reverse') metrics[`exact${set.suffix}`] = ratio(e.exact);
      if (job.task.name === 'listops') metrics.majorityBaseline = majorityBaseline(e.labels);
      if (job.task.name === 'char-lm') {
        metrics.perplexity = perplexity(e.meanLoss);
        metrics.bitsPerCharacter = bitsPerCharacter(e.meanLoss);
      }
      if (density === null && batches[0] !== undefined) {
        try {
          density = await densityOf(model, batches[0]);
        } catch (error) {
          notes.push(`attention density unavailable: ${(error as Error).message}`);
        }
      }
    }
    let exported: TrainOutput['exported'];
    if (job.exportDir !== undefined) {
      await model.save(fileSystemIO(job.exportDir));
      exported = { dir: job.exportDir, files: readdirSync(job.exportDir).sort() };
    }
    return {
      metrics,
      notes,
      lossCurve,
      stepsPerSecond,
      parameterCount: model.parameterCount(),
      weightBytes: model.weightBytes(),
      attentionDensity: density,
      inspect: model.inspect(),
      ...(exported === undefined ? {} : { exported }),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      tfPeakBytes,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
