import type { Experiment, ExperimentReport, HeadlineRow } from '../experiment.js';
import { formatNumber, formatPercent, spreadOf } from '../format.js';
import { lineChartSpec } from '../plots.js';
import { type Column, column, type ResultsTable } from '../results-table.js';
import { copyReverseSeqLen, copyReverseVocabSize } from '../tasks/copy-reverse.js';
import {
  byVariant,
  lossCurvePoints,
  metricMean,
  metricValues,
  okOutputs,
  runStatus,
  runTrainingJobs,
  type TrainingRunResult,
  type TrainingRunSpec,
} from '../training-runs.js';

/** Accuracies at one test length, one value per successful seed; null: the encoding cannot run there. */
interface AtLength {
  tokenAccuracy: number[] | null;
  exactMatch: number[] | null;
}

/** One encoding's row of the table. */
interface ExtrapolationRow {
  encoding: string;
  /** In the order of the test lengths. */
  atLength: AtLength[];
  stepsPerSecond: number[];
  status: string;
}

/** Per-seed accuracies as mean ± sd; 'n/a' where the encoding cannot run (learned positions past training). */
function formatAccuracy(values: number[] | null): string {
  return values === null ? 'n/a' : spreadOf(formatPercent)(values);
}

function columnsFor(testLengths: readonly number[]): {
  columns: Column<ExtrapolationRow>[];
  tokenAccuracy: Column<ExtrapolationRow>[];
  status: Column<ExtrapolationRow>;
} {
  const tokenAccuracy = testLengths.map((l, j) =>
    column(`token acc. L=${l}`, (r: ExtrapolationRow) => r.atLength[j]!.tokenAccuracy, formatAccuracy),
  );
  const status = column('status', (r: ExtrapolationRow) => r.status);
  return {
    columns: [
      column('encoding', (r) => r.encoding),
      ...tokenAccuracy,
      ...testLengths.map((l, j) =>
        column(`exact L=${l}`, (r: ExtrapolationRow) => r.atLength[j]!.exactMatch, formatAccuracy),
      ),
      column(
        'train steps/s',
        (r) => r.stepsPerSecond,
        spreadOf((x) => formatNumber(x)),
      ),
      status,
    ],
    tokenAccuracy,
    status,
  };
}

/** The table and headline rows of finished runs (a pure function of the runs). */
export function extrapolationTable(
  encodings: readonly { label: string }[],
  testLengths: readonly number[],
  testMultipliers: readonly number[],
  results: readonly TrainingRunResult[],
): { table: ResultsTable<ExtrapolationRow>; headline: HeadlineRow[] } {
  const atLength = (runs: readonly TrainingRunResult[], length: number): AtLength => {
    const ok = okOutputs(runs);
    if (ok.length > 0 && ok.every((o) => o.metrics[`accuracy@L${length}`] === null))
      return { tokenAccuracy: null, exactMatch: null };
    return {
      tokenAccuracy: metricValues(runs, (o) => o.metrics[`accuracy@L${length}`]),
      exactMatch: metricValues(runs, (o) => o.metrics[`exact@L${length}`]),
    };
  };
  const rows = encodings.map((e): ExtrapolationRow => {
    const runs = byVariant(results, e.label);
    return {
      encoding: e.label,
      atLength: testLengths.map((l) => atLength(runs, l)),
      stepsPerSecond: metricValues(runs, (o) => o.stepsPerSecond),
      status: runStatus(runs),
    };
  });
  const columns = columnsFor(testLengths);
  return {
    table: { columns: columns.columns, rows },
    headline: rows.map((r) => ({
      variant: r.encoding,
      metric: `token acc. at ${testMultipliers.join(' / ')} × L`,
      value: columns.tokenAccuracy.map((c) => c.cell(r)).join(' / '),
      status: columns.status.cell(r),
    })),
  };
}

export const lengthExtrapolationExperiment: Experiment = {
  name: 'length-extrapolation',
  description:
    'Positional encodings trained on copy/reverse at length L and tested at L, 2L and 4L (the ALiBi claim: ALiBi extrapolates, sinusoidal does not).',
  runCount: (p) => p.lengthExtrapolation.encodings.length * p.lengthExtrapolation.training.seeds.length,
  async run(context): Promise<ExperimentReport> {
    const { preset } = context;
    const { task, training, encodings, testMultipliers } = preset.lengthExtrapolation;
    const testLengths = testMultipliers.map((m) => m * task.length);
    const trainSeqLen = copyReverseSeqLen(task.length);
    const longestSeqLen = copyReverseSeqLen(Math.max(...testLengths));
    const specs: TrainingRunSpec[] = encodings.flatMap((e) =>
      training.seeds.map((seed) => ({
        variant: e.label,
        family: e.encoding,
        seed,
        model: {
          task: 'causal-lm' as const,
          vocabSize: copyReverseVocabSize(task.alphabetSize),
          // Learned positions exist only up to the training length: that is the point of the comparison.
          maxSeqLen: e.encoding === 'learned' ? trainSeqLen : longestSeqLen,
          ...preset.model,
          attention: { mechanism: 'dense' },
          positional: { encoding: e.encoding, ...(e.config ? { config: e.config } : {}) },
          seed,
        },
      })),
    );
    const results = await runTrainingJobs(
      context,
      'length-extrapolation',
      { name: 'copy-reverse', options: task, testLengths },
      training,
      specs,
    );
    const { table, headline } = extrapolationTable(encodings, testLengths, testMultipliers, results);
    const accuracyPoints = encodings.flatMap((e) =>
      testLengths.flatMap((l) => {
        const y = metricMean(byVariant(results, e.label), (o) => o.metrics[`accuracy@L${l}`]);
        return y === null ? [] : [{ series: e.label, x: l, y }];
      }),
    );
    const chance = 1 / task.alphabetSize;
    return {
      experiment: 'length-extrapolation',
      description: this.description,
      config: { ...preset.lengthExtrapolation, model: preset.model, attention: 'dense', testLengths },
      runs: results,
      table,
      notes: [
        `Task: ${task.mode} a random string over ${task.alphabetSize} symbols; trained at L = ${task.length} (sequence ${trainSeqLen} tokens), tested at L = ${testLengths.join(', ')}. Token accuracy is over the answer positions (chance ${formatPercent(chance)}); exact = whole answer right.`,
        `Learned positions are built for the training length only (maxSeqLen ${trainSeqLen}); longer tests are "n/a", not a crash.`,
        'Every model uses dense causal attention; only the positional encoding changes.',
      ],
      plots: [
        {
          file: 'length-extrapolation-accuracy.svg',
          spec: lineChartSpec(accuracyPoints, {
            title: `${task.mode}: held-out token accuracy vs test length (trained at L=${task.length})`,
            xTitle: 'string length L',
            yTitle: 'token accuracy',
            xLog: true,
            logBase: 2,
            points: true,
          }),
        },
        {
          file: 'length-extrapolation-loss.svg',
          spec: lineChartSpec(lossCurvePoints(results), {
            title: `${task.mode} training loss (L=${task.length})`,
            xTitle: 'step',
            yTitle: 'cross-entropy (answer positions)',
          }),
        },
      ],
      models: [],
      headline,
    };
  },
};
