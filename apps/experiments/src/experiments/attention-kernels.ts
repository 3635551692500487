import { type KernelRow, runAttentionKernels } from '../attention-kernels.js';
import type { Experiment, ExperimentReport, HeadlineRow } from '../experiment.js';
import { formatNumber, formatRatio } from '../format.js';
import { lineChartSpec } from '../plots.js';
import { type Column, column, type ResultsTable } from '../results-table.js';

/** A measured row with its speed-up over plain tfjs ops at the same N (null when either failed). */
interface KernelTableRow extends KernelRow {
  speedUpVsPlain: number | null;
}

const medianColumn = column('median ms', (r: KernelTableRow) => r.medianMs, formatNumber);
const statusColumn = column('status', (r: KernelTableRow) =>
  r.error === undefined ? 'ok' : `failed: ${r.error}`,
);

const fusedColumn = column('fused kernel', (r: KernelTableRow) =>
  r.fusedKernel === null ? '—' : r.fusedKernel ? 'yes' : 'no',
);

/**
 * Rows measured before the experiment recorded its backend (results written before issue 18) carry
 * neither `backend` nor `fusedKernel`: their tables keep the columns they were written with.
 */
type StoredKernelRow = Omit<KernelRow, 'backend' | 'fusedKernel'> & Partial<KernelRow>;

function columns(withBackend: boolean): readonly Column<KernelTableRow>[] {
  return [
    column('implementation', (r: KernelTableRow) => r.implementation),
    ...(withBackend ? [column('backend', (r: KernelTableRow) => r.backend), fusedColumn] : []),
    column('N', (r) => r.n),
    medianColumn,
    column('GFLOP/s', (r) => r.gflops, formatNumber),
    column('speed-up vs plain tfjs ops', (r) => r.speedUpVsPlain, formatRatio),
    column(
      'max |Δ| vs dense',
      (r) => r.maxAbsDiffVsDense,
      (x) => (x === null ? '—' : x.toExponential(1)),
    ),
    statusColumn,
  ];
}

/** The table and headline rows (at the largest N) of measured rows (a pure function of them). */
export function kernelsTable(
  rows: readonly StoredKernelRow[],
  largest: number,
): { table: ResultsTable<KernelTableRow>; headline: HeadlineRow[] } {
  const withBackend = rows.some((r) => r.backend !== undefined);
  const tableRows = rows.map((r): KernelTableRow => {
    const plain = rows.find((x) => x.n === r.n && x.implementation === 'plain tfjs ops')?.medianMs ?? null;
    return {
      backend: '—',
      fusedKernel: null,
      ...r,
      speedUpVsPlain: plain !== null && r.medianMs !== null ? plain / r.medianMs : null,
    };
  });
  return {
    table: { columns: columns(withBackend), rows: tableRows },
    headline: tableRows
      .filter((r) => r.n === largest)
      .map((r) => ({
        variant: withBackend
          ? `${r.implementation} (${r.backend}${r.fusedKernel ? ', fused kernel' : ''})`
          : r.implementation,
        metric: `ms @ N=${r.n}`,
        value: medianColumn.cell(r),
        status: statusColumn.cell(r),
      })),
  };
}

export const attentionKernelsExperiment: Experiment = {
  name: 'attention-kernels',
  description:
    "Core's dense and memory-efficient attention against plain tfjs ops: time, GFLOP/s and agreement.",
  runCount: () => 1,
  async run(context): Promise<ExperimentReport> {
    const { preset, backend } = context;
    const settings = { ...preset.attentionKernels, seed: preset.seed };
    const bar = context.progress.start('attention-kernels', settings.lengths.length * 3);
    let done = 0;
    const rows = await runAttentionKernels(settings, () => bar.update(++done));
    bar.finish('ok');
    const { table, headline } = kernelsTable(rows, Math.max(...settings.lengths));
    return {
      experiment: 'attention-kernels',
      description: this.description,
      config: settings,
      runs: rows,
      table,
      notes: [
        `B=1, H=${settings.heads}, d=${settings.headDim}, non-causal, median of ${settings.repeats}; measured in the CLI process (timing only, no memory).`,
        `Backend ${backend.backend}; its capability report lists EAFusedAttention as ${backend.kernels.EAFusedAttention === 'kernel' ? 'a registered kernel' : 'running its tfjs-ops reference'}. "fused kernel" says whether a row's call ran that kernel (the kernels tf.profile saw in its warm-up call).`,
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
      headline,
    };
  },
};
