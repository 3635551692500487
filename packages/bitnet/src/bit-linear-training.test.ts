import { createRandom } from '@efficient-attention/core';
import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { bitLinear } from './bit-linear.js';

/** Three Gaussian clusters in 8-D around seeded centres: a small, seeded classification problem. */
function clusters(seed: number, perClass: number) {
  const rng = createRandom(seed);
  const centres = Array.from({ length: 3 }, () => Array.from({ length: 8 }, () => 2 * rng.normal()));
  const x: number[] = [];
  const labels: number[] = [];
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < perClass; i++) {
      x.push(...centres[c]!.map((m) => m + 1.2 * rng.normal()));
      labels.push(c);
    }
  return {
    x: tf.tensor2d(x, [3 * perClass, 8]),
    labels: tf.oneHot(tf.tensor1d(labels, 'int32'), 3),
    count: 3 * perClass,
  };
}

describeBackends('BitLinear training', () => {
  it.each([1.58, 1] as const)(
    'a two-layer %s-bit BitLinear network learns a seeded 3-class problem',
    (weightBits) => {
      const { x, labels } = clusters(2026, 40);
      const rng = createRandom(1);
      const w1 = tf.variable(tf.tensor2d(rng.normalArray(8 * 32, 0.3), [8, 32]));
      const g1 = tf.variable(tf.ones([8]));
      const w2 = tf.variable(tf.tensor2d(rng.normalArray(32 * 3, 0.3), [32, 3]));
      const g2 = tf.variable(tf.ones([32]));
      const logits = () =>
        bitLinear(tf.relu(bitLinear(x, w1, { gain: g1, weightBits })), w2, { gain: g2, weightBits });
      const loss = () => tf.losses.softmaxCrossEntropy(labels, logits()) as tf.Scalar;
      const optimizer = tf.train.adam(0.02);
      const initial = tf.tidy(() => loss().dataSync()[0]!);
      for (let step = 0; step < 60; step++) optimizer.minimize(loss, true)?.dispose();
      const final = tf.tidy(() => loss().dataSync()[0]!);
      const accuracy = tf.tidy(
        () =>
          tf.mean(tf.cast(tf.equal(tf.argMax(logits(), 1), tf.argMax(labels, 1)), 'float32')).dataSync()[0]!,
      );
      // Measured on cpu and wasm: loss 1.29 → 1.0e-3 (1.58-bit) and 1.48 → 4.3e-3 (1-bit), accuracy 1.0;
      // asserted with a wide margin (≥ 10× drop, ≥ 95 %).
      expect(initial / final).toBeGreaterThan(10);
      expect(accuracy).toBeGreaterThanOrEqual(0.95);
      tf.dispose([x, labels, w1, g1, w2, g2]);
      optimizer.dispose();
    },
  );
});
