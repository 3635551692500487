import type { Experiment, ExperimentReport } from '../experiment.js';
import { formatBytes, formatNumber } from '../format.js';
import { runInFreshProcess } from '../fresh-process.js';
import type { InferenceJob, InferenceOutput, RunOutcome } from '../jobs.js';
import { lineChartSpec } from '../plots.js';
import { runId } from '../run-label.js';

interface InferenceRun {
  runId: string;
  variant: string;
  family: string;
  n: number;
  job: InferenceJob;
  outcome: RunOutcome<InferenceOutput>;
}

export const inferenceScalingExperiment: Experiment = {
  name: 'inference-scaling',
  description:
    'Attention forward time and peak memory vs sequence length N per mechanism, one fresh process per (mechanism, N).',
  runCount: (p) => p.inferenceScaling.variants.length * p.inferenceScaling.lengths.length,
  async run(context): Promise<ExperimentReport> {
    const { preset } = context;
    const { lengths, heads, headDim, repeats, variants } = preset.inferenceScaling;
    const runs: InferenceRun[] = [];
    for (const v of variants) {
      for (const n of lengths) {
        const job: InferenceJob = {
          kind: 'inference',
          experiment: 'inference-scaling',
          runId: runId('inference-scaling', `${v.label}-n${n}`, preset.seed),
          backend: context.backend,
          mechanism: v.mechanism,
          config: v.config ?? {},
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
    const denseMs = (n: number) => ok(runs.find((r) => r.variant === 'dense' && r.n === n)!)?.medianMs;
    const rows = runs.map((r) => {
      const o = ok(r);
      const dense = denseMs(r.n);
      return [
        r.variant,
        r.family,
        String(r.n),
        formatNumber(o?.medianMs),
        o && dense !== undefined ? `${formatNumber(dense / o.medianMs)}×` : '—',
        formatBytes(o?.tfPeakBytes),
        formatBytes(o?.peakRssBytes),
        r.outcome.status === 'ok' ? 'ok' : `failed: ${r.outcome.reason}`,
      ];
    });
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
      config: { ...preset.inferenceScaling, causal: false, batch: 1 },
      runs,
      table: {
        head: [
          'mechanism',
          'family',
          'N',
          'median ms',
          'speed-up vs dense',
          'tf peak tensors',
          'peak RSS',
          'status',
        ],
        rows,
      },
      notes: [
        `One non-causal forward pass, batch 1, ${heads} heads of ${headDim}, unit-normal q/k/v; median of ${repeats} timed calls after a warm-up; backend ${context.backend}, single-threaded wasm in Node.`,
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
      headline: variants.map((v) => {
        const r = runs.find((x) => x.variant === v.label && x.n === largest)!;
        const row = rows[runs.indexOf(r)]!;
        return {
          variant: v.label,
          metric: `ms @ N=${largest} (vs dense)`,
          value: `${row[3]} (${row[4]})`,
          status: row[7]!,
        };
      }),
    };
  },
};
