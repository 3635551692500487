import { nope } from '@efficient-attention/encodings';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { transformerRegistries } from './registries.js';
import { createTransformerBlock } from './transformer-block.js';

describeBackends('createTransformerBlock', () => {
  it('is pre-norm: h = x + MHA(RMSNorm(x)), y = h + W₂·GELU(W₁·RMSNorm(h)) (float64 norm, GELU and FFN)', () => {
    const [N, D, F] = [5, 8, 12];
    const block = createTransformerBlock({
      dModel: D,
      heads: 2,
      mechanism: transformerRegistries().mechanisms.get('dense'),
      mechanismConfig: {},
      positional: nope(),
      projections: 'float',
      causal: true,
      maxSeqLen: 8,
      seed: 5,
      ffnDim: F,
    });
    block.attentionNormGain.assign(tf.linspace(0.5, 1.5, D));
    block.ffnNormGain.assign(tf.linspace(1.5, 0.5, D));
    const x = seededTensor([1, N, D], 3);
    const attended = tf.tidy(() => block.attention.apply(block.attentionInput(x.tensor)));
    // RMSNorm(x) of the attention branch, in float64 (Zhang & Sennrich 2019).
    const g1 = block.attentionNormGain.dataSync();
    const normed = Float64Array.from(x.data);
    for (let t = 0; t < N; t++) {
      let ms = 0;
      for (let c = 0; c < D; c++) ms += x.data[t * D + c]! ** 2 / D;
      for (let c = 0; c < D; c++) normed[t * D + c] = (x.data[t * D + c]! / Math.sqrt(ms + 1e-6)) * g1[c]!;
    }
    const fromNorm = tf.tidy(() => block.attentionInput(x.tensor));
    expectTensorsClose(fromNorm, normed, { atol: 1e-5, rtol: 1e-5 });
    // The FFN branch on h = x + attention, in float64.
    const h = Float64Array.from(x.data, (v, i) => v + attended.dataSync()[i]!);
    const g2 = block.ffnNormGain.dataSync();
    const w1 = block.ffnIn.weight.dataSync();
    const w2 = block.ffnOut.weight.dataSync();
    const expected = Float64Array.from(h);
    for (let t = 0; t < N; t++) {
      let ms = 0;
      for (let c = 0; c < D; c++) ms += h[t * D + c]! ** 2 / D;
      const n = Array.from({ length: D }, (_, c) => (h[t * D + c]! / Math.sqrt(ms + 1e-6)) * g2[c]!);
      const hidden = Array.from({ length: F }, (_, j) => {
        const z = n.reduce((s, v, c) => s + v * w1[c * F + j]!, 0);
        return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
      });
      for (let c = 0; c < D; c++)
        expected[t * D + c]! += hidden.reduce((s, v, j) => s + v * w2[j * D + c]!, 0);
    }
    expectNoLeaks(() => {
      const y = block.apply(x.tensor);
      expect(y.shape).toEqual([1, N, D]);
      expectTensorsClose(y, expected, { atol: 1e-4, rtol: 1e-4 });
      return y;
    });
    tf.dispose([x.tensor, attended, fromNorm]);
    block.dispose();
  });
});
