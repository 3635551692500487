import { scaledDotProductAttention } from '@efficient-attention/core';
import { slidingWindow } from '@efficient-attention/sparse-masks';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { attentionProbabilities } from './attention-probabilities.js';
import { transformerRegistries } from './registries.js';
import { tinyLm } from './test-support/tiny-configs.js';
import { createModel, modelInternals } from './transformer-model.js';

/** Dense softmax probabilities softmax(q·kᵀ/√d + mask) in float64, from the values. */
function denseProbabilities(
  q: Float64Array,
  k: Float64Array,
  [b, h, n, d]: [number, number, number, number],
  allowed: (q: number, kv: number) => boolean,
): Float64Array {
  const out = new Float64Array(b * h * n * n);
  for (let bh = 0; bh < b * h; bh++) {
    for (let i = 0; i < n; i++) {
      const row = Array.from({ length: n }, (_, j) => {
        if (!allowed(i, j)) return Number.NEGATIVE_INFINITY;
        let s = 0;
        for (let c = 0; c < d; c++) s += q[(bh * n + i) * d + c]! * k[(bh * n + j) * d + c]!;
        return s / Math.sqrt(d);
      });
      const m = Math.max(...row);
      const e = row.map((s) => Math.exp(s - m));
      const z = e.reduce((a, x) => a + x, 0);
      for (let j = 0; j < n; j++) out[(bh * n + i) * n + j] = e[j]! / z;
    }
  }
  return out;
}

describeBackends('attentionProbabilities', () => {
  const shape: [number, number, number, number] = [2, 2, 11, 4];
  const { mechanisms } = transformerRegistries();

  it('dense: equals the float64 softmax of the scaled scores (causal), chunked over headDim < seq', () => {
    const q = seededTensor(shape, 1);
    const k = seededTensor(shape, 2);
    const dense = mechanisms.get('dense').create({}, { seed: 0, heads: 2, headDim: 4 });
    expectNoLeaks(() => {
      const p = attentionProbabilities(dense, q.tensor as tf.Tensor4D, k.tensor as tf.Tensor4D, {
        causal: true,
      });
      expect(p.shape).toEqual([2, 2, 11, 11]);
      expectTensorsClose(
        p,
        denseProbabilities(q.data, k.data, shape, (i, j) => j <= i),
        { atol: 1e-5, rtol: 1e-4 },
      );
      return p;
    });
    tf.dispose([q.tensor, k.tensor]);
  });

  it('block-sparse: zero outside the sliding-window mask, the masked dense softmax inside', () => {
    const q = seededTensor(shape, 3);
    const k = seededTensor(shape, 4);
    const sparse = mechanisms
      .get('block-sparse')
      .create({ pattern: 'sliding-window', before: 2, blockSize: 4 }, { seed: 0, heads: 2, headDim: 4 });
    const window = slidingWindow({ before: 2 });
    const p = attentionProbabilities(sparse, q.tensor as tf.Tensor4D, k.tensor as tf.Tensor4D, {
      causal: true,
    });
    const expected = denseProbabilities(q.data, k.data, shape, (i, j) => j <= i && window(0, 0, i, j));
    expectTensorsClose(p, expected, { atol: 1e-5, rtol: 1e-4 });
    const values = p.dataSync();
    for (let i = 0; i < values.length; i++) if (expected[i] === 0) expect(values[i]).toBe(0);
    tf.dispose([q.tensor, k.tensor, p]);
  });

  it('model.attentionMaps: one row-stochastic map per layer, equal to the mechanism on the layer’s q and k', () => {
    const model = createModel(
      tinyLm({
        attention: {
          mechanism: 'block-sparse',
          config: { pattern: 'sliding-window', before: 3, blockSize: 4 },
        },
        positional: { encoding: 'alibi' },
      }),
    );
    const tokens = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 1, 2]], undefined, 'int32');
    tf.dispose(model.attentionMaps(tokens));
    expectNoLeaks(() => {
      const maps = model.attentionMaps(tokens);
      expect(maps.map((m) => m.shape)).toEqual([
        [1, 2, 9, 9],
        [1, 2, 9, 9],
      ]);
      const sums = tf.tidy(() => tf.sum(maps[0]!, -1));
      expectTensorsClose(sums, new Float32Array(18).fill(1), { atol: 1e-5 });
      // Layer 0 by hand: the dense softmax with ALiBi over the layer's own q, k, under the window ∧ causal mask.
      const layer = modelInternals(model).layers[0]!;
      const expected = tf.tidy(() => {
        const x = modelInternals(model).embed(tokens, 0);
        const { q, k } = layer.attention.project(layer.attentionInput(x), 0);
        const window = slidingWindow({ before: 3 });
        return scaledDotProductAttention(q, k, k, {
          ...layer.attention.applyOptions(9, 9),
          mask: (_b, _h, i, j) => window(0, 0, i, j),
          returnWeights: true,
        }).weights;
      });
      expectTensorsClose(maps[0]!, expected, { atol: 1e-5, rtol: 1e-4 });
      return [...maps, sums, expected];
    });
    tokens.dispose();
    model.dispose();
  });
});
