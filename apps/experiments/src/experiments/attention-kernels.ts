import { runAttentionKernels } from '../attention-kernels.js';
import type { Experiment, ExperimentReport } from '../experiment.js';
import { formatNumber } from '../format.js';
import { lineChartSpec } from '../plots.js';

export const attentionKernelsExperiment: Experiment = {
  name: 'attention-kernels',
  description:
    "Core's dense and memory-efficient attention against plain tfjs ops: time, GFLOP/s and agreement.",
  runCount: () => 1,
  async run(context): Promise<ExperimentReport> {
    const { preset } = context;
    const settings = { ...preset.attentionKernels, seed: preset.seed };
    const bar = context.progress.start('attention-kernels', settings.lengths.length * 3);
    let done = 0;
    const rows = await runAttentionKernels(settings, () => bar.update(++done));
    bar.finish('ok');
    const table = rows.map((r) => {
      const plain = rows.find((x) => x.n === r.n && x.implementation === 'plain tfjs ops')?.medianMs ?? null;
      return [
        r.implementation,
        String(r.n),
        formatNumber(r.medianMs),
        formatNumber(r.gflops),
        plain !== null && r.medianMs !== null ? `${formatNumber(plain / r.medianMs)}×` : '—',
        r.maxAbsDiffVsDense === null ? '—' : r.maxAbsDiffVsDense.toExponential(1),
        r.error === undefined ? 'ok' : `failed: ${r.error}`,
      ];
    });
    return {
      experiment: 'attention-kernels',
      description: this.description,
      config: settings,
      runs: rows,
      table: {
        head: [
          'implementation',
          'N',
          'median ms',
          'GFLOP/s',
          'speed-up vs plain tfjs ops',
          'max |Δ| vs dense',
          'status',
        ],
        rows: table,
      },
      notes: [
        `B=1, H=${settings.heads}, d=${settings.headDim}, non-causal, median of ${settings.repeats}; measured in the CLI process (timing only, no memory).`,
      ],
      plots: [
        {
          file: 'attention-kernels-time.svg',
          spec: lineChartSpec(
            rows.flatMap((r) =>
              r.medianMs === null ? [] : [{ series: r.implementation, x: r.n, y: r.medianMs }],
            ),
            {
              title: 'Attention kernels: median ms vs N',
              xTitle: 'sequence length N',
              yTitle: 'median ms',
              xLog: true,
              yLog: true,
              logBase: 2,
              points: true,
            },
          ),
        },
      ],
      models: [],
      headline: rows
        .filter((r) => r.n === Math.max(...settings.lengths))
        .map((r, i) => ({
          variant: r.implementation,
          metric: `ms @ N=${r.n}`,
          value: formatNumber(r.medianMs),
          status: table[rows.indexOf(r)]?.[6] ?? String(i),
        })),
    };
  },
};
