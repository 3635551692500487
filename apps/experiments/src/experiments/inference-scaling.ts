import { builtinMechanisms } from '@efficient-attention/all';
import { denseMechanism } from '@efficient-attention/core';
import { backendPhrase } from '../capability-summary.js';
import type { Experiment, ExperimentReport, HeadlineRow } from '../experiment.js';
import { formatBytes, formatNumber, formatRatio } from '../format.js';
import { runInFreshProcess } from '../fresh-process.js';
import type { InferenceJob, InferenceOutput, RunOutcome } from '../jobs.js';
import { lineChartSpec } from '../plots.js';
import type { Preset } from '../presets.js';
import { type Column, column, type ResultsTable } from '../results-table.js';
import { runId } from '../run-label.js';

/** One timed mechanism: a registered definition that opted in with `benchmark`. */
export interface InferenceVariant {
  label: string;
  family: string;
  mechanism: string;
  /** The longest N worth timing (the definition's `benchmark.maxLength`). */
  maxLength: number;
  config(n: number): Record<string, unknown>;
}

/**
 * The mechanisms inference scaling times: every definition of the catalogue that opts in with `benchmark`
 * (an O(N²) mechanism only up to its `maxLength`), minus the preset's `skip` list. A new mechanism package
 * is timed by opting in, with no edit here.
 */
export function inferenceVariants(preset: Pick<Preset, 'inferenceScaling'>): InferenceVariant[] {
  const skip = new Set(preset.inferenceScaling.skip);
  return builtinMechanisms.flatMap((d) =>
    d.benchmark === undefined || skip.has(d)
      ? []
      : [
          {
            label: d.title,
            family: d.capabilities.family,
            mechanism: d.name,
            maxLength: d.benchmark.maxLength,
            config: (n: number) => ({ ...d.benchmark?.config?.(n) }),
          },
        ],
  );
}

interface InferenceRun {
  runId: string;
  variant: string;
  family: string;
  n: number;
  job: InferenceJob;
  outcome: RunOutcome<InferenceOutput>;
}

/** One (mechanism, N) row of the table; measurements are undefined when the run failed. */
interface InferenceRow {
  mechanism: string;
  family: string;
  n: number;
  medianMs: number | undefined;
  /** Dense's median time at this N over this one's. */
  speedUpVsDense: number | undefined;
  tfPeakBytes: number | null | undefined;
  peakRssBytes: number | undefined;
  status: string;
}

const medianColumn = column('median ms', (r: InferenceRow) => r.medianMs, formatNumber);
const speedUpColumn = column('speed-up vs dense', (r: InferenceRow) => r.speedUpVsDense, formatRatio);
const statusColumn = column('status', (r: InferenceRow) => r.status);

const COLUMNS: readonly Column<InferenceRow>[] = [
  column('mechanism', (r) => r.mechanism),
  column('family', (r) => r.family),
  column('N', (r) => r.n),
  medianColumn,
  speedUpColumn,
  column('tf peak tensors', (r) => r.tfPeakBytes, formatBytes),
  column('peak RSS', (r) => r.peakRssBytes, formatBytes),
  statusColumn,
];

/** The table and headline rows (at the largest N) of finished runs (a pure function of the runs). */
export function inferenceTable(
  runs: readonly Pick<InferenceRun, 'variant' | 'family' | 'n' | 'outcome' | 'job'>[],
  variants: readonly { label: string }[],
  largest: number,
): { table: ResultsTable<InferenceRow>; headline: HeadlineRow[] } {
  const ok = (r: (typeof runs)[number]) => (r.outcome.status === 'ok' ? r.outcome : undefined);
  // The reference is dense attention, found by its definition, not by a label.
  const dense = runs.filter((r) => r.job.mechanism === denseMechanism.name);
  const denseMs = (n: number) => {
    const r = dense.find((x) => x.n === n);
    return r === undefined ? undefined : ok(r)?.medianMs;
  };
  const rows = runs.map((r): InferenceRow => {
    const o = ok(r);
    const dense = denseMs(r.n);
    return {
      mechanism: r.variant,
      family: r.family,
      n: r.n,
      medianMs: o?.medianMs,
      speedUpVsDense: o && dense !== undefined ? dense / o.medianMs : undefined,
      tfPeakBytes: o?.tfPeakBytes,
      peakRssBytes: o?.peakRssBytes,
      status: r.outcome.status === 'ok' ? 'ok' : `failed: ${r.outcome.reason}`,
    };
  });
  return {
    table: { columns: COLUMNS, rows },
    headline: variants.map((v) => {
      // A mechanism timed only up to a shorter length reports its longest run.
      const own = runs.filter((x) => x.variant === v.label);
      const r = own.find((x) => x.n === largest) ?? own.reduce((a, b) => (b.n > a.n ? b : a));
      const row = rows[runs.indexOf(r)]!;
      return {
        variant: v.label,
        metric: `ms @ N=${r.n} (vs dense)`,
        value: `${medianColumn.cell(row)} (${speedUpColumn.cell(row)})`,
        status: statusColumn.cell(row),
      };
    }),
  };
}

export const inferenceScalingExperiment: Experiment = {
  name: 'inference-scaling',
  description:
    'Attention forward time and peak memory vs sequence length N per mechanism, one fresh process per (mechanism, N).',
  runCount: (p) =>
    inferenceVariants(p).reduce(
      (sum, v) => sum + p.inferenceScaling.lengths.filter((n) => n <= v.maxLength).length,
      0,
    ),
  async run(context): Promise<ExperimentReport> {
    const { preset } = context;
    const { lengths, heads, headDim, repeats } = preset.inferenceScaling;
    const variants = inferenceVariants(preset);
    const runs: InferenceRun[] = [];
    for (const v of variants) {
      for (const n of lengths.filter((x) => x <= v.maxLength)) {
        const job: InferenceJob = {
          kind: 'inference',
          experiment: 'inference-scaling',
          runId: runId('inference-scaling', `${v.mechanism}-n${n}`, preset.seed),
          backend: context.backend,
          mechanism: v.mechanism,
          config: v.config(n),
          n,
          heads,
          headDim,
          repeats,
          seed: preset.seed,
        };
        const bar = context.progress.start(`inference · ${v.label} · N=${n}`, 1);
        const outcome = await runInFreshProcess<InferenceOutput>(job, {
          timeoutSeconds: preset.runTimeoutSeconds,
        });
        bar.finish(
          outcome.status === 'ok' ? `ok, ${formatNumber(outcome.medianMs)} ms` : `failed: ${outcome.reason}`,
        );
        runs.push({ runId: job.runId, variant: v.label, family: v.family, n, job, outcome });
      }
    }
    const ok = (r: InferenceRun) => (r.outcome.status === 'ok' ? r.outcome : undefined);
    const { table, headline } = inferenceTable(runs, variants, Math.max(...lengths));
    const points = (pick: (o: InferenceOutput) => number | null) =>
      runs.flatMap((r) => {
        const o = ok(r);
        const y = o ? pick(o) : null;
        return y === null ? [] : [{ series: r.variant, x: r.n, y }];
      });
    const largest = Math.max(...lengths);
    return {
      experiment: 'inference-scaling',
      description: this.description,
      config: {
        ...preset.inferenceScaling,
        skip: preset.inferenceScaling.skip.map((d) => d.name),
        variants: variants.map(({ config: _config, ...v }) => v),
        causal: false,
        batch: 1,
      },
      runs,
      table,
      notes: [
        `One non-causal forward pass, batch 1, ${heads} heads of ${headDim}, unit-normal q/k/v; median of ${repeats} timed calls after a warm-up; backend ${backendPhrase(context.backend)}.`,
        'Each (mechanism, N) runs in a fresh Node process, so peak RSS is its own (it includes the ~200 MB of Node + tfjs + wasm baseline).',
        'Speed-ups are ratios within this one run; absolute times depend on the machine load recorded in the JSON.',
      ],
      plots: [
        {
          file: 'inference-scaling-time.svg',
          spec: lineChartSpec(
            points((o) => o.medianMs),
            {
              title: `Attention forward time vs N (up to ${largest})`,
              xTitle: 'sequence length N',
              yTitle: 'median ms',
              xLog: true,
              yLog: true,
              logBase: 2,
              points: true,
            },
          ),
        },
        {
          file: 'inference-scaling-memory.svg',
          spec: lineChartSpec(
            points((o) => o.tfPeakBytes),
            {
              title: 'Peak tensor bytes (tf.profile) vs N',
              xTitle: 'sequence length N',
              yTitle: 'peak bytes',
              xLog: true,
              yLog: true,
              logBase: 2,
              points: true,
            },
          ),
        },
        {
          file: 'inference-scaling-rss.svg',
          spec: lineChartSpec(
            points((o) => o.peakRssBytes),
            {
              title: 'Peak RSS of a fresh process vs N',
              xTitle: 'sequence length N',
              yTitle: 'peak RSS bytes',
              xLog: true,
              yLog: true,
              logBase: 2,
              points: true,
            },
          ),
        },
      ],
      models: [],
      headline,
    };
  },
};
