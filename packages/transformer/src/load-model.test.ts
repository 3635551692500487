import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBackends, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { fileSystemIO } from './file-system-io.js';
import { loadModel } from './load-model.js';
import type { ModelConfig } from './model-config.js';
import { copyTask, tinyClassifier, tinyLm } from './test-support/tiny-configs.js';
import { trainStep } from './train-step.js';
import { createModel, type TransformerModel } from './transformer-model.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A model trained 2 steps, so its weights differ from a fresh one of the same config. */
function trained(config: ModelConfig): TransformerModel {
  const model = createModel(config);
  const { tokens, targets } = copyTask(4, 3, 8, 5);
  const optimizer = tf.train.sgd(0.5);
  if (config.task === 'causal-lm') {
    trainStep(model, optimizer, tokens, targets);
    trainStep(model, optimizer, tokens, targets);
  } else {
    const x = tf.tensor2d(
      Array.from({ length: 24 }, (_, i) => i % 8),
      [2, 12],
      'int32',
    );
    const y = tf.tensor1d([0, 2], 'int32');
    trainStep(model, optimizer, x, y);
    tf.dispose([x, y]);
  }
  optimizer.dispose();
  tf.dispose([tokens, targets]);
  return model;
}

async function roundTrip(model: TransformerModel): Promise<TransformerModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return loadModel(tf.io.fromMemory(saved!));
}

describeBackends('save / loadModel', () => {
  it.each([
    ['dense + rope', tinyLm()],
    [
      'adaptive-span + learned, bitnet',
      tinyLm({
        attention: { mechanism: 'adaptive-span', config: { maxSpan: 8, initialSpan: 2 } },
        positional: { encoding: 'learned' },
        projections: 'bitnet',
      }),
    ],
    ['dense + learnable alibi', tinyLm({ positional: { encoding: 'alibi', config: { learnable: true } } })],
    [
      'performer (seeded features) + learned',
      tinyLm({
        attention: { mechanism: 'performer', config: { numFeatures: 8 } },
        positional: { encoding: 'learned' },
      }),
    ],
    [
      'linformer classifier',
      tinyClassifier({ attention: { mechanism: 'linformer', config: { projectedLength: 4 } } }),
    ],
  ] as Array<[string, ModelConfig]>)(
    '%s: save → load gives identical logits and config',
    async (_name, config) => {
      const model = trained(config);
      const copy = await roundTrip(model);
      expect(copy.config).toEqual(model.config);
      const n = config.task === 'classifier' ? 12 : 7;
      const x = tf.tensor2d([Array.from({ length: n }, (_, i) => (3 * i + 1) % 8)], undefined, 'int32');
      const expected = model.apply(x);
      const actual = copy.apply(x);
      expectTensorsClose(actual, expected, { atol: 0, rtol: 0 });
      // The comparison can fail: a fresh model of the same config (untrained) differs.
      const fresh = createModel(config);
      const untrained = fresh.apply(x);
      expect(Math.max(...tf.tidy(() => tf.abs(tf.sub(untrained, expected)).dataSync()))).toBeGreaterThan(
        1e-3,
      );
      tf.dispose([x, expected, actual, untrained]);
      for (const m of [model, copy, fresh]) m.dispose();
    },
  );

  it('fileSystemIO and file:// URLs write model.json + weights.bin and load them back', async () => {
    const model = trained(tinyLm({ positional: { encoding: 't5' } }));
    const dir = mkdtempSync(join(tmpdir(), 'ea-transformer-'));
    dirs.push(dir);
    const result = await model.save(fileSystemIO(dir));
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(
      4 * model.namedVariables().reduce((s, [, v]) => s + v.size, 0),
    );
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const fromDir = await loadModel(fileSystemIO(dir));
    await model.save(`file://${dir}/second`);
    const fromUrl = await loadModel(`file://${dir}/second`);
    const x = tf.tensor2d([[1, 2, 3, 4]], undefined, 'int32');
    const [a, b, c] = [model.apply(x), fromDir.apply(x), fromUrl.apply(x)];
    expectTensorsClose(b, a, { atol: 0, rtol: 0 });
    expectTensorsClose(c, a, { atol: 0, rtol: 0 });
    tf.dispose([x, a, b, c]);
    for (const m of [model, fromDir, fromUrl]) m.dispose();
  });

  it('rejects unknown URL schemes, foreign artifacts and mismatched weights', async () => {
    const model = createModel(tinyLm({ numLayers: 1 }));
    await expect(model.save('ftp://x')).rejects.toThrow(/`handler` must be an IOHandler, or a URL/);
    await expect(loadModel('indexeddb://x')).rejects.toThrow(/'indexeddb:\/\/…' \(browser\)/);
    await expect(loadModel(tf.io.fromMemory({ modelTopology: {}, format: 'layers-model' }))).rejects.toThrow(
      /`artifacts.format` must be "efficient-attention\/transformer"/,
    );
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const topology = saved!.modelTopology as { modelConfig: ModelConfig };
    const before = tf.memory().numTensors;
    const wider = {
      ...saved!,
      modelTopology: { modelConfig: { ...topology.modelConfig, ffnMultiplier: 3 } },
    };
    await expect(loadModel(tf.io.fromMemory(wider))).rejects.toThrow(
      /`weights\["layers.0.ffn.in.weight"\]` must be a tensor of shape \[16, 48\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
