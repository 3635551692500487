import type { Experiment, ExperimentReport, HeadlineRow } from '../experiment.js';
import { formatBytes, formatPercent, spreadOf } from '../format.js';
import { barChartSpec, lineChartSpec } from '../plots.js';
import { type Column, column, type ResultsTable } from '../results-table.js';
import { mqarBatch, mqarLayout } from '../tasks/mqar.js';
import {
  accuracyBars,
  accuracyColumn,
  byVariant,
  exportedModels,
  formatLearnedSpans,
  type LayerSpans,
  learnedSpans,
  lossCurvePoints,
  metricValues,
  okOutputs,
  runStatus,
  runTrainingJobs,
  type TrainingMetrics,
  type TrainingRunResult,
  type TrainingRunSpec,
  trainingMetricColumns,
  trainingMetrics,
} from '../training-runs.js';

/** Which MQAR variant's model is exported for the playground, by family folder. */
const EXPORTS: Record<string, string> = {
  dense: 'dense',
  'longformer (window + global)': 'sparse',
  'adaptive span': 'adaptive',
  'linear (elu+1)': 'linear',
};

/** One variant's row of the MQAR table. */
interface MqarRow {
  variant: string;
  family: string;
  metrics: TrainingMetrics;
  /** Learned spans of the first successful seed (adaptive span). */
  spans: LayerSpans[];
  /** Peak RSS of each successful seed. */
  peakRssBytes: number[];
  status: string;
}

const statusColumn = column('status', (r: MqarRow) => r.status);

const COLUMNS: readonly Column<MqarRow>[] = [
  column('variant', (r) => r.variant),
  column('family', (r) => r.family),
  ...trainingMetricColumns<MqarRow>(),
  column('learned spans', (r) => r.spans, formatLearnedSpans),
  column('peak RSS', (r) => r.peakRssBytes, spreadOf(formatBytes)),
  statusColumn,
];

/** The MQAR table and headline rows of finished runs (a pure function of the runs). */
export function mqarTable(
  variants: readonly { label: string; family: string }[],
  results: readonly TrainingRunResult[],
): { table: ResultsTable<MqarRow>; headline: HeadlineRow[] } {
  const rows = variants.map((v): MqarRow => {
    const runs = byVariant(results, v.label);
    return {
      variant: v.label,
      family: v.family,
      metrics: trainingMetrics(runs),
      spans: learnedSpans(okOutputs(runs)[0]?.inspect),
      peakRssBytes: metricValues(runs, (o) => o.peakRssBytes),
      status: runStatus(runs),
    };
  });
  return {
    table: { columns: COLUMNS, rows },
    headline: rows.map((r) => ({
      variant: r.variant,
      metric: 'accuracy',
      value: accuracyColumn<MqarRow>().cell(r),
      status: statusColumn.cell(r),
    })),
  };
}

export const mqarExperiment: Experiment = {
  name: 'mqar',
  description:
    'Multi-query associative recall with answers far from their keys: local attention must fail, dense and global/sparse compounds must not.',
  runCount: (p) => p.mqar.variants.length * p.mqar.training.seeds.length,
  async run(context): Promise<ExperimentReport> {
    const { preset } = context;
    const { task, training, variants } = preset.mqar;
    const layout = mqarLayout(task);
    const specs: TrainingRunSpec[] = variants.flatMap((v) =>
      training.seeds.map((seed, i) => ({
        variant: v.label,
        family: v.family,
        seed,
        model: {
          task: 'causal-lm' as const,
          vocabSize: layout.vocabSize,
          maxSeqLen: task.seqLen,
          ...preset.model,
          attention: { mechanism: v.mechanism, config: v.config ?? {}, ...(v.mask ? { mask: v.mask } : {}) },
          positional: { encoding: 'rope' },
          seed,
        },
        ...(i === 0 && EXPORTS[v.label] !== undefined ? { exportFamily: EXPORTS[v.label] } : {}),
      })),
    );
    const results = await runTrainingJobs(context, 'mqar', { name: 'mqar', options: task }, training, specs);
    const chance = 1 / task.numValues;
    const { table, headline } = mqarTable(variants, results);
    const accuracy = accuracyBars(variants, results);
    const models = exportedModels(results, (variant) => EXPORTS[variant], {
      experiment: 'mqar',
      task: 'causal-lm',
      tokenizer: {
        kind: 'mqar',
        vocabSize: layout.vocabSize,
        filler: 0,
        keys: [1, task.numKeys],
        values: [1 + task.numKeys, task.numKeys + task.numValues],
        layout: `${task.numPairs} key-value pairs at positions 0..${2 * task.numPairs - 1}, filler (0), ${task.numQueries} query keys at positions ${layout.firstQuery}..${task.seqLen - 1}; the model predicts each query's value at the query position`,
      },
      exampleTokens: Array.from(mqarBatch(task, 1, 12345).tokens),
    });
    return {
      experiment: 'mqar',
      description: this.description,
      config: {
        ...preset.mqar,
        model: preset.model,
        positional: 'rope',
        vocabSize: layout.vocabSize,
        gap: layout.gap,
      },
      runs: results,
      table,
      notes: [
        `Accuracy is over the ${task.numQueries} query positions of ${training.evalExamples} held-out examples; chance is ${formatPercent(chance)} (1/${task.numValues} values).`,
        `Every answer is ≥ ${layout.gap} tokens after its key–value pair; a ${preset.model.numLayers}-layer sliding window of radius 8 sees ${preset.model.numLayers * 8} tokens back, so it cannot answer.`,
        'Longformer / BigBird make the key–value prefix global (as Longformer puts global attention on the question tokens).',
        'Attention density: share of attention weights > 1e-3 among the causal entries, on 4 held-out examples, mean over layers and heads.',
        'Adaptive span starts at the window radius; its span z gets gradient only from keys inside the ramp (z … z + R back), so answers farther away give it no signal to grow (Sukhbaatar et al. 2019, eq. 1).',
      ],
      plots: [
        {
          file: 'mqar-loss.svg',
          spec: lineChartSpec(lossCurvePoints(results), {
            title: 'MQAR training loss',
            xTitle: 'step',
            yTitle: 'cross-entropy (query positions)',
          }),
        },
        {
          file: 'mqar-accuracy.svg',
          spec: barChartSpec(accuracy, {
            title: `MQAR held-out accuracy (chance ${formatPercent(chance)})`,
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
