import type { Experiment, ExperimentReport, ExportedModel } from '../experiment.js';
import { formatBytes, formatNumber } from '../format.js';
import { lineChartSpec } from '../plots.js';
import { CharCorpus } from '../tasks/char-corpus.js';
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

const VARIANTS = [
  { label: 'float32 projections', projections: 'float' as const, exportFamily: 'float-char-lm' },
  { label: 'BitNet b1.58 projections', projections: 'bitnet' as const, exportFamily: 'bitnet' },
];

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
    const rows = VARIANTS.map((v) => {
      const runs = byVariant(results, v.label);
      const bytes = okOutputs(runs)[0]?.weightBytes;
      return [
        v.label,
        metricCell(
          runs,
          (o) => o.metrics.perplexity,
          (x) => formatNumber(x),
        ),
        metricCell(
          runs,
          (o) => o.metrics.bitsPerCharacter,
          (x) => formatNumber(x),
        ),
        formatBytes(bytes?.float32),
        formatBytes(bytes?.deployed),
        bytes === undefined ? '—' : `${formatNumber(bytes.float32 / bytes.deployed)}×`,
        metricCell(
          runs,
          (o) => o.parameterCount,
          (x) => formatNumber(x),
        ),
        metricCell(
          runs,
          (o) => o.stepsPerSecond,
          (x) => formatNumber(x),
        ),
        metricCell(runs, (o) => o.peakRssBytes, formatBytes),
        statusCell(runs),
      ];
    });
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
      table: {
        head: [
          'projections',
          'held-out perplexity',
          'bits / char',
          'weights fp32',
          'weights deployed',
          'compression',
          'parameters',
          'train steps/s',
          'peak RSS',
          'status',
        ],
        rows,
      },
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
      headline: VARIANTS.map((v, i) => ({
        variant: v.label,
        metric: 'perplexity · deployed bytes',
        value: `${rows[i]![1]} · ${rows[i]![4]}`,
        status: rows[i]![9]!,
      })),
    };
  },
};
