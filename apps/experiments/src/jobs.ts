import type { ModelConfig } from '@efficient-attention/transformer';
import type { ExperimentName } from './cli-options.js';
import type { BackendSetup } from './experiment-backend.js';
import type { TrainingSettings } from './presets.js';
import type { CopyReverseOptions } from './tasks/copy-reverse.js';
import type { ListOpsOptions } from './tasks/listops.js';
import type { MqarOptions } from './tasks/mqar.js';

/** The task a training job generates its data from (seeded, in code). */
export type TaskSpec =
  | { name: 'mqar'; options: MqarOptions }
  | { name: 'copy-reverse'; options: CopyReverseOptions; testLengths: number[] }
  | { name: 'listops'; options: ListOpsOptions }
  | { name: 'char-lm'; seqLen: number; evalWindows: number };

/** Trains one model in a fresh process, evaluates it on held-out data and optionally saves it. */
export interface TrainJob {
  kind: 'train';
  experiment: ExperimentName;
  runId: string;
  /** The CLI's backend and kernels, which the worker sets up again (training: threads shared by the jobs). */
  backend: BackendSetup;
  task: TaskSpec;
  model: ModelConfig;
  training: Omit<TrainingSettings, 'seeds'> & { seed: number };
  /** Seed of the held-out data, shared by every run of an experiment so that they see the same examples. */
  evalSeed: number;
  /** Save the trained model here (`model.json` + weights). */
  exportDir?: string;
}

/** Times one attention forward pass at length n in a fresh process (peak RSS is the configuration's own). */
export interface InferenceJob {
  kind: 'inference';
  experiment: ExperimentName;
  runId: string;
  /** The CLI's backend and kernels, which the worker sets up again. */
  backend: BackendSetup;
  mechanism: string;
  config: Record<string, unknown>;
  n: number;
  heads: number;
  headDim: number;
  repeats: number;
  seed: number;
}

export type Job = TrainJob | InferenceJob;

/** What every fresh-process run reports about itself. */
export interface ProcessMeasurements {
  /** Peak resident set size of the process (`process.resourceUsage().maxRSS`), bytes. */
  peakRssBytes: number;
  /** Peak bytes of tensors tfjs held during the measured call (`tf.profile`). */
  tfPeakBytes: number | null;
  wallSeconds: number;
}

export interface TrainOutput extends ProcessMeasurements {
  /** Held-out metrics by name (null = not applicable, e.g. learned positions past maxSeqLen). */
  metrics: Record<string, number | null>;
  /** Why a metric is null or what to know about it. */
  notes: string[];
  lossCurve: { step: number; loss: number }[];
  stepsPerSecond: number;
  parameterCount: number;
  weightBytes: { float32: number; deployed: number };
  /** Share of attention weights > 1e-3 among allowed entries, mean over layers and heads. */
  attentionDensity: number | null;
  /** `model.inspect()`: learned spans and other per-layer state. */
  inspect: unknown;
  exported?: { dir: string; files: string[] };
}

export interface InferenceOutput extends ProcessMeasurements {
  medianMs: number;
  timesMs: number[];
}

/** A run's outcome: its output, or why it failed (NaN loss, out of memory, timeout, an error). */
export type RunOutcome<T> =
  | ({ status: 'ok' } & T)
  | { status: 'failed'; reason: string; wallSeconds: number };

/** Messages a worker sends its parent. */
export type WorkerMessage =
  | { type: 'progress'; step: number; total: number; loss: number }
  | { type: 'done'; output: TrainOutput | InferenceOutput }
  | { type: 'failed'; reason: string };
