import type { Experiment, ExperimentReport } from '../experiment.js';
import { formatNumber, formatPercent } from '../format.js';
import { lineChartSpec } from '../plots.js';
import { copyReverseSeqLen, copyReverseVocabSize } from '../tasks/copy-reverse.js';
import {
  byVariant,
  lossCurvePoints,
  metricCell,
  metricMean,
  okOutputs,
  runTrainingJobs,
  statusCell,
  type TrainingRunSpec,
} from '../training-runs.js';

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
    const accuracyCell = (runs: typeof results, length: number) => {
      const ok = okOutputs(runs);
      if (ok.length > 0 && ok.every((o) => o.metrics[`accuracy@L${length}`] === null)) return 'n/a';
      return metricCell(runs, (o) => o.metrics[`accuracy@L${length}`], formatPercent);
    };
    const rows = encodings.map((e) => {
      const runs = byVariant(results, e.label);
      return [
        e.label,
        ...testLengths.map((l) => accuracyCell(runs, l)),
        ...testLengths.map((l) => {
          const cell = accuracyCell(runs, l);
          return cell === 'n/a' ? 'n/a' : metricCell(runs, (o) => o.metrics[`exact@L${l}`], formatPercent);
        }),
        metricCell(
          runs,
          (o) => o.stepsPerSecond,
          (x) => formatNumber(x),
        ),
        statusCell(runs),
      ];
    });
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
      table: {
        head: [
          'encoding',
          ...testLengths.map((l) => `token acc. L=${l}`),
          ...testLengths.map((l) => `exact L=${l}`),
          'train steps/s',
          'status',
        ],
        rows,
      },
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
      headline: encodings.map((e, i) => ({
        variant: e.label,
        metric: `token acc. at ${testMultipliers.join(' / ')} × L`,
        value: testLengths.map((_, j) => rows[i]![1 + j]).join(' / '),
        status: rows[i]!.at(-1)!,
      })),
    };
  },
};
