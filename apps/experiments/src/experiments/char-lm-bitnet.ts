import type { Experiment, ExperimentReport, ExportedModel, HeadlineRow } from '../experiment.js';
import { formatBytes, formatNumber, formatRatio, spreadOf } from '../format.js';
import { lineChartSpec } from '../plots.js';
import { type Column, column, type ResultsTable } from '../results-table.js';
import { CharCorpus } from '../tasks/char-corpus.js';
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

const VARIANTS = [
  { label: 'float32 projections', projections: 'float' as const, exportFamily: 'float-char-lm' },
  { label: 'BitNet b1.58 projections', projections: 'bitnet' as const, exportFamily: 'bitnet' },
];

/** One projection variant's row of the table; per-seed lists hold one value per successful seed. */
interface CharLmRow {
  projections: string;
  perplexity: number[];
  bitsPerCharacter: number[];
  /** Weight bytes of the first successful seed. */
  weightBytes: { float32: number; deployed: number } | undefined;
  parameters: number[];
  stepsPerSecond: number[];
  peakRssBytes: number[];
  status: string;
}

const number = spreadOf((x) => formatNumber(x));
const perplexityColumn = column('held-out perplexity', (r: CharLmRow) => r.perplexity, number);
const deployedColumn = column('weights deployed', (r: CharLmRow) => r.weightBytes?.deployed, formatBytes);
const statusColumn = column('status', (r: CharLmRow) => r.status);

const COLUMNS: readonly Column<CharLmRow>[] = [
  column('projections', (r) => r.projections),
  perplexityColumn,
  column('bits / char', (r) => r.bitsPerCharacter, number),
  column('weights fp32', (r) => r.weightBytes?.float32, formatBytes),
  deployedColumn,
  column(
    'compression',
    (r) => (r.weightBytes === undefined ? undefined : r.weightBytes.float32 / r.weightBytes.deployed),
    formatRatio,
  ),
  column('parameters', (r) => r.parameters, number),
  column('train steps/s', (r) => r.stepsPerSecond, number),
  column('peak RSS', (r) => r.peakRssBytes, spreadOf(formatBytes)),
  statusColumn,
];

/** The table and headline rows of finished runs (a pure function of the runs). */
export function charLmTable(results: readonly TrainingRunResult[]): {
  table: ResultsTable<CharLmRow>;
  headline: HeadlineRow[];
} {
  const rows = VARIANTS.map((v): CharLmRow => {
    const runs = byVariant(results, v.label);
    return {
      projections: v.label,
      perplexity: metricValues(runs, (o) => o.metrics.perplexity),
      bitsPerCharacter: metricValues(runs, (o) => o.metrics.bitsPerCharacter),
      weightBytes: okOutputs(runs)[0]?.weightBytes,
      parameters: metricValues(runs, (o) => o.parameterCount),
      stepsPerSecond: metricValues(runs, (o) => o.stepsPerSecond),
      peakRssBytes: metricValues(runs, (o) => o.peakRssBytes),
      status: runStatus(runs),
    };
  });
  return {
    table: { columns: COLUMNS, rows },
    headline: rows.map((r) => ({
      variant: r.projections,
      metric: 'perplexity · deployed bytes',
      value: `${perplexityColumn.cell(r)} · ${deployedColumn.cell(r)}`,
      status: statusColumn.cell(r),
    })),
  };
}

export const charLmBitnetExperiment: Experiment = {
  name: 'char-lm-bitnet',
  description:
    "Character-level language modelling on Bierce's The Devil's Dictionary: BitNet b1.58 ternary projections vs float32 — held-out perplexity and weight bytes.",
  runCount: (p) => VARIANTS.length * p.charLm.training.seeds.length,
  async run(context): Promise<ExperimentReport> {
    const { preset } = context;
    const { seqLen, training, evalWindows } = preset.charLm;
    const corpus = CharCorpus.fromFile();
    const specs: TrainingRunSpec[] = VARIANTS.flatMap((v) =>
      training.seeds.map((seed, i) => ({
        variant: v.label,
        family: v.projections === 'bitnet' ? 'quantized' : 'dense',
        seed,
        model: {
          task: 'causal-lm' as const,
          vocabSize: corpus.vocabSize,
          maxSeqLen: seqLen,
          ...preset.model,
          attention: { mechanism: 'dense' },
          positional: { encoding: 'rope' },
          projections: v.projections,
          seed,
        },
        ...(i === 0 ? { exportFamily: v.exportFamily } : {}),
      })),
    );
    const results = await runTrainingJobs(
      context,
      'char-lm-bitnet',
      { name: 'char-lm', seqLen, evalWindows },
      { ...training, evalExamples: evalWindows },
      specs,
    );
    const { table, headline } = charLmTable(results);
    const [floatPpl, bitnetPpl] = VARIANTS.map((v) =>
      metricMean(byVariant(results, v.label), (o) => o.metrics.perplexity),
    );
    const models: ExportedModel[] = results.flatMap((r) => {
      const v = VARIANTS.find((x) => x.label === r.variant)!;
      if (r.outcome.status !== 'ok' || r.outcome.exported === undefined) return [];
      return [
        {
          family: v.exportFamily,
          experiment: 'char-lm-bitnet' as const,
          variant: r.variant,
          mechanism: 'dense',
          task: 'causal-lm' as const,
          path: `models/${v.exportFamily}`,
          files: r.outcome.exported.files,
          tokenizer: {
            kind: 'characters',
            vocabSize: corpus.vocabSize,
            vocabulary: corpus.vocabulary.join(''),
            note: 'token id = index of the character in `vocabulary`; characters outside it cannot be fed',
            maxSeqLen: seqLen,
          },
          exampleTokens: Array.from(
            corpus
              .encode('ZEUS, n.  The chief of Grecian gods, adored by the Romans as Jupiter')
              .slice(0, seqLen),
          ),
          metrics: r.outcome.metrics,
        },
      ];
    });
    return {
      experiment: 'char-lm-bitnet',
      description: this.description,
      config: {
        ...preset.charLm,
        model: preset.model,
        attention: 'dense',
        positional: 'rope',
        vocabSize: corpus.vocabSize,
      },
      runs: results,
      table,
      notes: [
        `Held-out = the last 10% of the corpus (${corpus.heldOut.length.toLocaleString('en-US')} characters), ${evalWindows} windows of ${seqLen}; vocabulary ${corpus.vocabSize} characters (uniform perplexity ${corpus.vocabSize}).`,
        '"Deployed" counts BitLinear weights as 2-bit packed ternary plus a scale, other tensors (embedding, norms, head) as float32.',
        floatPpl != null && bitnetPpl != null
          ? `At this toy scale BitNet's perplexity is ${formatNumber(bitnetPpl / floatPpl)}× float's; the BitNet b1.58 paper reports parity only from ~3B parameters, and a gap at small sizes.`
          : 'One of the two runs failed, so no perplexity ratio.',
      ],
      plots: [
        {
          file: 'char-lm-bitnet-loss.svg',
          spec: lineChartSpec(lossCurvePoints(results), {
            title: 'Character LM training loss: float32 vs BitNet b1.58',
            xTitle: 'step',
            yTitle: 'cross-entropy (nats / char)',
          }),
        },
      ],
      models,
      headline,
    };
  },
};
