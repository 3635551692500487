import { hashSeed } from '@efficient-attention/core';
import type { ModelConfig } from '@efficient-attention/transformer';
import type { ExperimentName } from './cli-options.js';
import type { ExperimentContext, ExportedModel } from './experiment.js';
import type { BackendSetup } from './experiment-backend.js';
import { formatNumber, formatPercent, spreadOf } from './format.js';
import { runInFreshProcess } from './fresh-process.js';
import type { RunOutcome, TaskSpec, TrainJob, TrainOutput } from './jobs.js';
import type { TrainingSettings } from './presets.js';
import { type Column, column } from './results-table.js';
import { runId } from './run-label.js';

/** One training run to make: a variant of an experiment at one seed. */
export interface TrainingRunSpec {
  variant: string;
  family: string;
  seed: number;
  model: ModelConfig;
  /** Save the trained model under `models/<exportFamily>/`. */
  exportFamily?: string;
}

/** A finished (or failed) training run with everything needed to reproduce it. */
export interface TrainingRunResult {
  runId: string;
  variant: string;
  family: string;
  seed: number;
  job: TrainJob;
  outcome: RunOutcome<TrainOutput>;
}

/**
 * The CLI's backend for a training run: `context.jobs` runs share the kernel threads the CLI process has,
 * at least one each, so parallel runs do not oversubscribe the cores.
 */
export function trainingBackend(context: Pick<ExperimentContext, 'backend' | 'jobs'>): BackendSetup {
  const { backend, jobs } = context;
  if (backend.kernelThreads === 0) return backend;
  return { ...backend, kernelThreads: Math.max(1, Math.floor(backend.kernelThreads / jobs)) };
}

/**
 * Runs the specs, `context.jobs` at a time, each in a fresh process with its own progress bar. A failed run
 * (error, NaN loss, out of memory, timeout) is returned as failed; the others still run.
 */
export async function runTrainingJobs(
  context: ExperimentContext,
  experiment: ExperimentName,
  task: TaskSpec,
  training: TrainingSettings,
  specs: readonly TrainingRunSpec[],
): Promise<TrainingRunResult[]> {
  const { seeds: _seeds, ...settings } = training;
  const runOne = async (spec: TrainingRunSpec): Promise<TrainingRunResult> => {
    const id = runId(experiment, spec.variant, spec.seed);
    const job: TrainJob = {
      kind: 'train',
      experiment,
      runId: id,
      backend: trainingBackend(context),
      task,
      model: { ...spec.model, seed: spec.seed },
      training: { ...settings, seed: spec.seed },
      evalSeed: hashSeed(context.preset.seed, 7),
      ...(spec.exportFamily === undefined
        ? {}
        : { exportDir: `${context.outDir}/models/${spec.exportFamily}` }),
    };
    const bar = context.progress.start(`${experiment} · ${spec.variant} · seed ${spec.seed}`, training.steps);
    const outcome = await runInFreshProcess<TrainOutput>(job, {
      timeoutSeconds: context.preset.runTimeoutSeconds,
      onProgress: (step, _total, loss) => bar.update(step, loss),
    });
    bar.finish(outcome.status === 'ok' ? 'ok' : `failed: ${outcome.reason}`);
    return { runId: id, variant: spec.variant, family: spec.family, seed: spec.seed, job, outcome };
  };
  // A small pool: each run is its own single-threaded process, so `jobs` runs use `jobs` cores. Results keep
  // spec order, and every run is seeded on its own, so the numbers do not depend on `jobs` (steps/s does).
  const results: TrainingRunResult[] = new Array(specs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < specs.length) {
      const index = next++;
      results[index] = await runOne(specs[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(context.jobs, specs.length)) }, lane));
  return results;
}

/** The runs of one variant, in seed order. */
export function byVariant(results: readonly TrainingRunResult[], variant: string): TrainingRunResult[] {
  return results.filter((r) => r.variant === variant);
}

/** Successful outputs of a variant's runs. */
export function okOutputs(runs: readonly TrainingRunResult[]): TrainOutput[] {
  return runs.flatMap((r) => (r.outcome.status === 'ok' ? [r.outcome] : []));
}

/** A metric of a variant's successful seeds, in seed order (finite values only; none: an empty list). */
export function metricValues(
  runs: readonly TrainingRunResult[],
  pick: (o: TrainOutput) => number | null | undefined,
): number[] {
  return okOutputs(runs)
    .map(pick)
    .filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
}

/** 'ok', 'ok (2/3 seeds)' or 'failed: <reason>' for a variant's runs. */
export function runStatus(runs: readonly TrainingRunResult[]): string {
  const failed = runs.filter((r) => r.outcome.status === 'failed');
  if (failed.length === 0) return 'ok';
  const first = failed[0]!.outcome as { reason: string };
  if (failed.length === runs.length) return `failed: ${first.reason}`;
  return `ok (${runs.length - failed.length}/${runs.length} seeds; failed: ${first.reason})`;
}

/** Mean of a metric over a variant's successful runs, or null. */
export function metricMean(
  runs: readonly TrainingRunResult[],
  pick: (o: TrainOutput) => number | null | undefined,
): number | null {
  const values = metricValues(runs, pick);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Loss-curve points of each variant's first successful run (for the loss plot). */
export function lossCurvePoints(
  results: readonly TrainingRunResult[],
): { series: string; x: number; y: number }[] {
  const seen = new Set<string>();
  const points: { series: string; x: number; y: number }[] = [];
  for (const r of results) {
    if (r.outcome.status !== 'ok' || seen.has(r.variant)) continue;
    seen.add(r.variant);
    for (const p of r.outcome.lossCurve) points.push({ series: r.variant, x: p.step, y: p.loss });
  }
  return points;
}

/** One layer's learned spans (adaptive span), per head. */
export interface LayerSpans {
  /** 1-based layer number. */
  layer: number;
  spans: number[];
}

/** Learned spans per layer from `inspect()` (adaptive span); empty when the mechanism has none. */
export function learnedSpans(inspect: unknown): LayerSpans[] {
  const layers = (inspect as { layers?: { spans?: number[] }[] } | undefined)?.layers ?? [];
  return layers.flatMap((l, i) => (Array.isArray(l.spans) ? [{ layer: i + 1, spans: l.spans }] : []));
}

/** Learned spans as 'L1 12/30 · L2 40/5'; '' when none. */
export function formatLearnedSpans(layers: readonly LayerSpans[]): string {
  return layers.map((l) => `L${l.layer} ${l.spans.map((s) => Math.round(s)).join('/')}`).join(' · ');
}

/** The metrics every training table shows, one value per successful seed. */
export interface TrainingMetrics {
  accuracy: number[];
  loss: number[];
  stepsPerSecond: number[];
  parameters: number[];
  attentionDensity: number[];
}

/** {@link TrainingMetrics} of a variant's runs. */
export function trainingMetrics(runs: readonly TrainingRunResult[]): TrainingMetrics {
  return {
    accuracy: metricValues(runs, (o) => o.metrics.accuracy),
    loss: metricValues(runs, (o) => o.metrics.loss),
    stepsPerSecond: metricValues(runs, (o) => o.stepsPerSecond),
    parameters: metricValues(runs, (o) => o.parameterCount),
    attentionDensity: metricValues(runs, (o) => o.attentionDensity),
  };
}

/** The held-out accuracy column of a training table (mean ± sd over seeds). */
export function accuracyColumn<Row extends { metrics: TrainingMetrics }>(): Column<Row> {
  return column('held-out accuracy', (r: Row) => r.metrics.accuracy, spreadOf(formatPercent));
}

/**
 * The columns every training table shares, in order: held-out accuracy, held-out loss, train steps/s,
 * parameters, attention density.
 */
export function trainingMetricColumns<Row extends { metrics: TrainingMetrics }>(): Column<Row>[] {
  const number = spreadOf((x) => formatNumber(x));
  return [
    accuracyColumn<Row>(),
    column('held-out loss', (r: Row) => r.metrics.loss, number),
    column('train steps/s', (r: Row) => r.metrics.stepsPerSecond, number),
    column('parameters', (r: Row) => r.metrics.parameters, number),
    column('attention density', (r: Row) => r.metrics.attentionDensity, spreadOf(formatPercent)),
  ];
}

/** What {@link exportedModels} needs besides the runs: how the playground feeds the model. */
export interface ModelExportInfo {
  experiment: ExperimentName;
  task: 'causal-lm' | 'classifier';
  tokenizer: Record<string, unknown>;
  exampleTokens: number[];
}

/**
 * The `models/index.json` entries of the runs that exported a model: `familyOf(variant)` names the folder
 * (undefined: the variant exports nothing).
 */
export function exportedModels(
  results: readonly TrainingRunResult[],
  familyOf: (variant: string) => string | undefined,
  info: ModelExportInfo,
): ExportedModel[] {
  return results.flatMap((r) => {
    const family = familyOf(r.variant);
    if (r.outcome.status !== 'ok' || r.outcome.exported === undefined || family === undefined) return [];
    return [
      {
        family,
        experiment: info.experiment,
        variant: r.variant,
        mechanism: r.job.model.attention.mechanism,
        task: info.task,
        path: `models/${family}`,
        files: r.outcome.exported.files,
        tokenizer: info.tokenizer,
        exampleTokens: info.exampleTokens,
        metrics: r.outcome.metrics,
      },
    ];
  });
}

/** One bar per variant: its mean held-out accuracy (0 when no run succeeded), grouped by family. */
export function accuracyBars(
  variants: readonly { label: string; family: string }[],
  results: readonly TrainingRunResult[],
): { label: string; value: number; group: string }[] {
  return variants.map((v) => ({
    label: v.label,
    value: metricMean(byVariant(results, v.label), (o) => o.metrics.accuracy) ?? 0,
    group: v.family,
  }));
}
