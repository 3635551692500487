import type { Experiment, ExperimentReport, HeadlineRow } from '../experiment.js';
import { formatPercent } from '../format.js';
import { barChartSpec, lineChartSpec } from '../plots.js';
import { type Column, column, type ResultsTable } from '../results-table.js';
import {
  LISTOPS_CLASSES,
  LISTOPS_CLOSE,
  LISTOPS_CLS,
  LISTOPS_DIGIT,
  LISTOPS_FIRST_OPERATOR,
  LISTOPS_OPERATORS,
  LISTOPS_PAD,
  LISTOPS_VOCAB_SIZE,
  listOpsBatch,
} from '../tasks/listops.js';
import {
  accuracyBars,
  accuracyColumn,
  byVariant,
  exportedModels,
  lossCurvePoints,
  metricMean,
  runStatus,
  runTrainingJobs,
  type TrainingMetrics,
  type TrainingRunResult,
  type TrainingRunSpec,
  trainingMetricColumns,
  trainingMetrics,
} from '../training-runs.js';

const EXPORTS: Record<string, string> = { 'linformer (k=16)': 'low-rank' };

/** One variant's row of the ListOps table. */
interface ListOpsRow {
  variant: string;
  family: string;
  metrics: TrainingMetrics;
  status: string;
}

const statusColumn = column('status', (r: ListOpsRow) => r.status);

const COLUMNS: readonly Column<ListOpsRow>[] = [
  column('variant', (r) => r.variant),
  column('family', (r) => r.family),
  ...trainingMetricColumns<ListOpsRow>(),
  statusColumn,
];

/** The ListOps table and headline rows of finished runs (a pure function of the runs). */
export function listOpsTable(
  variants: readonly { label: string; family: string }[],
  results: readonly TrainingRunResult[],
): { table: ResultsTable<ListOpsRow>; headline: HeadlineRow[] } {
  const rows = variants.map((v): ListOpsRow => {
    const runs = byVariant(results, v.label);
    return { variant: v.label, family: v.family, metrics: trainingMetrics(runs), status: runStatus(runs) };
  });
  return {
    table: { columns: COLUMNS, rows },
    headline: rows.map((r) => ({
      variant: r.variant,
      metric: 'accuracy',
      value: accuracyColumn<ListOpsRow>().cell(r),
      status: statusColumn.cell(r),
    })),
  };
}

export const listOpsExperiment: Experiment = {
  name: 'listops',
  description:
    'A small LRA-style ListOps (depth-bounded nested MAX/MIN/MED/SM): hierarchical, whole-sequence reasoning.',
  runCount: (p) => p.listops.variants.length * p.listops.training.seeds.length,
  async run(context): Promise<ExperimentReport> {
    const { preset } = context;
    const { task, training, variants } = preset.listops;
    const specs: TrainingRunSpec[] = variants.flatMap((v) =>
      training.seeds.map((seed, i) => ({
        variant: v.label,
        family: v.family,
        seed,
        model: {
          task: 'classifier' as const,
          numClasses: LISTOPS_CLASSES,
          vocabSize: LISTOPS_VOCAB_SIZE,
          maxSeqLen: task.seqLen,
          ...preset.model,
          attention: { mechanism: v.mechanism, config: v.config ?? {}, ...(v.mask ? { mask: v.mask } : {}) },
          positional: { encoding: 'rope' },
          causal: false,
          pooling: 'first' as const,
          seed,
        },
        ...(i === 0 && EXPORTS[v.label] !== undefined ? { exportFamily: EXPORTS[v.label] } : {}),
      })),
    );
    const results = await runTrainingJobs(
      context,
      'listops',
      { name: 'listops', options: task },
      training,
      specs,
    );
    const majority = metricMean(results, (o) => o.metrics.majorityBaseline);
    const { table, headline } = listOpsTable(variants, results);
    const models = exportedModels(results, (variant) => EXPORTS[variant], {
      experiment: 'listops',
      task: 'classifier',
      tokenizer: {
        kind: 'listops',
        vocabSize: LISTOPS_VOCAB_SIZE,
        tokens: {
          PAD: LISTOPS_PAD,
          CLS: LISTOPS_CLS,
          digits: `0-9 are ${LISTOPS_DIGIT}-${LISTOPS_DIGIT + 9}`,
          operators: Object.fromEntries(
            LISTOPS_OPERATORS.map((o, i) => [`[${o}`, LISTOPS_FIRST_OPERATOR + i]),
          ),
          ']': LISTOPS_CLOSE,
        },
        seqLen: task.seqLen,
        layout:
          'CLS expression PAD…, padded to seqLen (Linformer needs exactly seqLen tokens); the class is the value 0-9',
      },
      exampleTokens: Array.from(listOpsBatch(task, 1, 12345).tokens),
    });
    return {
      experiment: 'listops',
      description: this.description,
      config: {
        ...preset.listops,
        model: preset.model,
        positional: 'rope',
        pooling: 'first (CLS)',
        causal: false,
      },
      runs: results,
      table,
      notes: [
        `Majority-class baseline on the held-out set: ${formatPercent(majority)}; chance over 10 classes is 10%.`,
        'The classifier reads the CLS token, so a sliding window only sees the first radius × layers tokens through it; Longformer makes CLS global.',
      ],
      plots: [
        {
          file: 'listops-loss.svg',
          spec: lineChartSpec(lossCurvePoints(results), {
            title: 'ListOps training loss',
            xTitle: 'step',
            yTitle: 'cross-entropy',
          }),
        },
        {
          file: 'listops-accuracy.svg',
          spec: barChartSpec(accuracyBars(variants, results), {
            title: `ListOps held-out accuracy (majority ${formatPercent(majority)})`,
            valueTitle: 'accuracy',
            domain: [0, 1],
          }),
        },
      ],
      models,
      headline,
    };
  },
};
