import {
  createModel,
  decodeModelArtifacts,
  type ModelConfig,
  type TransformerModel,
} from '@efficient-attention/transformer';
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionArgs, AttentionPanel, AttentionResult } from './protocol.js';

/** A model as saved by `TransformerModel.save`: its JSON config and named weights. */
export interface DecodedModel {
  config: ModelConfig;
  weights: tf.NamedTensorMap;
}

/** Decodes saved artifacts (model.json + weights) into a config and named weights. */
export function decodeModel(artifacts: tf.io.ModelArtifacts): DecodedModel {
  const { config, weights } = decodeModelArtifacts('playground', artifacts);
  return { config: config as ModelConfig, weights };
}

/** Builds a model from `config` and assigns every saved weight whose name and shape match. */
function buildWithWeights(config: ModelConfig, weights: tf.NamedTensorMap): TransformerModel {
  const model = createModel(config);
  for (const [name, variable] of model.namedVariables()) {
    const w = weights[name];
    if (w !== undefined && w.shape.join() === variable.shape.join()) variable.assign(w);
  }
  return model;
}

function mapsOf(model: TransformerModel, tokens: readonly number[]): number[][][][] {
  const input = tf.tensor2d([Array.from(tokens)], [1, tokens.length], 'int32');
  try {
    const layers = model.attentionMaps(input);
    const out = layers.map((t) => (t.arraySync() as number[][][][])[0]!);
    tf.dispose(layers);
    return out;
  } finally {
    input.dispose();
  }
}

function relativeErrors(maps: number[][][][], reference: number[][][][]): number[][] {
  return maps.map((layer, l) =>
    layer.map((head, h) => {
      let diff = 0;
      let norm = 0;
      for (let q = 0; q < head.length; q++) {
        const row = head[q]!;
        for (let k = 0; k < row.length; k++) {
          const r = reference[l]?.[h]?.[q]?.[k] ?? 0;
          diff += (row[k]! - r) ** 2;
          norm += r * r;
        }
      }
      return Math.sqrt(diff / norm);
    }),
  );
}

/** The mechanisms the dense model's weights are re-run under, with the view's parameters. */
export function approximationsOf(
  args: AttentionArgs,
  config: ModelConfig,
): { name: string; attention: ModelConfig['attention'] }[] {
  // The span mechanism takes spans up to its maximum span, the model's longest sequence.
  const span = Math.min(args.span, config.maxSeqLen);
  return [
    {
      name: `sparse (sliding window, radius ${args.radius})`,
      attention: {
        mechanism: 'block-sparse',
        config: { pattern: 'sliding-window', radius: args.radius, blockSize: 16 },
      },
    },
    {
      name: `adaptive span (z = ${span}${span < args.span ? `, capped at the model's ${config.maxSeqLen} tokens` : ''}, R = ${args.rampSize})`,
      attention: {
        mechanism: 'adaptive-span',
        config: { initialSpan: span, rampSize: args.rampSize, maxSpan: config.maxSeqLen },
      },
    },
    {
      name: `linear (Performer FAVOR+, m = ${args.features})`,
      attention: { mechanism: 'performer', config: { numFeatures: args.features } },
    },
    { name: 'linear (elu + 1)', attention: { mechanism: 'linear-elu' } },
  ];
}

/**
 * Attention maps per layer and head of the dense model, of the same weights under sparse, adaptive-span
 * and linear mechanisms (so the difference is the approximation alone, given as a relative Frobenius
 * error), and of models trained with those mechanisms. `step` runs between models (progress, cancel).
 */
export async function attentionComparison(
  dense: DecodedModel,
  trained: readonly { family: string; model: DecodedModel }[],
  args: AttentionArgs,
  step: (done: number, total: number) => Promise<void>,
): Promise<AttentionResult> {
  const approximations = approximationsOf(args, dense.config);
  const total = 1 + approximations.length + trained.length;
  const run = (config: ModelConfig, weights: tf.NamedTensorMap) => {
    const model = buildWithWeights(config, weights);
    try {
      return mapsOf(model, args.tokens);
    } finally {
      model.dispose();
    }
  };
  const reference = run(dense.config, dense.weights);
  const panels: AttentionPanel[] = [
    {
      name: `dense (${dense.config.attention.mechanism})`,
      kind: 'dense',
      mechanism: dense.config.attention.mechanism,
      maps: reference,
      errors: relativeErrors(reference, reference),
    },
  ];
  await step(1, total);
  for (const a of approximations) {
    const maps = run({ ...dense.config, attention: a.attention }, dense.weights);
    panels.push({
      name: a.name,
      kind: 'approximation',
      mechanism: a.attention.mechanism,
      maps,
      errors: relativeErrors(maps, reference),
    });
    await step(panels.length, total);
  }
  for (const t of trained) {
    const maps = run(t.model.config, t.model.weights);
    const { mechanism, mask } = t.model.config.attention;
    panels.push({
      name: `trained ${t.family} model (${mechanism}${mask ? ` + ${mask.pattern} mask` : ''})`,
      kind: 'trained',
      mechanism: t.model.config.attention.mechanism,
      maps,
      errors: relativeErrors(maps, reference),
    });
    await step(panels.length, total);
  }
  return { layers: reference.length, heads: reference[0]?.length ?? 0, panels };
}
