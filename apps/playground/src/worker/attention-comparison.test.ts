// @vitest-environment node
import '@tensorflow/tfjs-backend-cpu';
import { createModel, type ModelConfig } from '@efficient-attention/transformer';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionComparison, type DecodedModel, decodeModel } from './attention-comparison.js';
import type { AttentionArgs } from './protocol.js';

const config: ModelConfig = {
  task: 'causal-lm',
  vocabSize: 12,
  maxSeqLen: 16,
  dModel: 16,
  numHeads: 2,
  numLayers: 2,
  attention: { mechanism: 'dense' },
  positional: { encoding: 'rope' },
  seed: 3,
};

async function saved(c: ModelConfig): Promise<DecodedModel> {
  const model = createModel(c);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return decodeModel(artifacts!);
}

const tokens = [1, 5, 2, 7, 3, 9, 4, 11, 0, 6];
const args = (over: Partial<AttentionArgs>): AttentionArgs => ({
  denseUrl: 'unused',
  trained: [],
  tokens,
  span: 2,
  rampSize: 2,
  radius: 1,
  features: 32,
  ...over,
});
const noStep = async () => {};

describe('attentionComparison', () => {
  let dense: DecodedModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dense = await saved(config);
  });

  it('re-runs the dense weights under each mechanism and measures the change of the maps', async () => {
    const narrow = await attentionComparison(dense, [], args({}), noStep);
    expect(narrow.layers).toBe(2);
    expect(narrow.heads).toBe(2);
    const byMechanism = new Map(narrow.panels.map((p) => [p.mechanism, p]));
    expect(byMechanism.get('dense')!.errors.flat()).toEqual([0, 0, 0, 0]);
    // Rows of every map are probability distributions over the causal keys.
    for (const p of narrow.panels) {
      for (const row of p.maps[0]![0]!) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    // A radius-1 window and a span of 2 + 2 cut keys the dense model attends: the maps change.
    expect(Math.min(...byMechanism.get('block-sparse')!.errors.flat())).toBeGreaterThan(1e-3);
    expect(Math.min(...byMechanism.get('adaptive-span')!.errors.flat())).toBeGreaterThan(1e-3);
    // Linear attention uses another kernel: a real, finite approximation error.
    for (const e of byMechanism.get('performer')!.errors.flat()) expect(e).toBeGreaterThan(1e-3);

    // A causal window reaching the whole sequence is dense attention (exactly, up to float32 rounding);
    // a span far beyond the sequence too (the ramp is 1 everywhere).
    const wide = await attentionComparison(dense, [], args({ radius: tokens.length, span: 64 }), noStep);
    const wideBy = new Map(wide.panels.map((p) => [p.mechanism, p]));
    expect(Math.max(...wideBy.get('block-sparse')!.errors.flat())).toBeLessThan(1e-5);
    expect(Math.max(...wideBy.get('adaptive-span')!.errors.flat())).toBeLessThan(1e-5);
    expect(wideBy.get('adaptive-span')!.name).toBe(
      "adaptive span (z = 16, capped at the model's 16 tokens, R = 2)",
    );
  });

  it('shows models trained with another mechanism next to the dense one', async () => {
    const linear = await saved({ ...config, attention: { mechanism: 'linear-elu' }, seed: 4 });
    const steps: number[] = [];
    const result = await attentionComparison(
      dense,
      [{ family: 'linear', model: linear }],
      args({}),
      async (done) => {
        steps.push(done);
      },
    );
    const last = result.panels.at(-1)!;
    expect(last.kind).toBe('trained');
    expect(last.name).toBe('trained linear model (linear-elu)');
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
