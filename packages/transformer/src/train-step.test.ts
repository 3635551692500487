import { describeBackends, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { copyTask, tinyLm } from './test-support/tiny-configs.js';
import { trainStep } from './train-step.js';
import { createModel } from './transformer-model.js';

describeBackends('trainStep', () => {
  it('an SGD step is w − lr·∇(loss + auxiliaryWeight·aux); clipNorm rescales the whole gradient', () => {
    const config = tinyLm({
      numLayers: 1,
      attention: {
        mechanism: 'adaptive-span',
        config: { maxSpan: 8, initialSpan: 3, rampSize: 2, blockSize: 4 },
      },
      regularization: { spanPenalty: 0.1 },
    });
    const { tokens, targets } = copyTask(2, 3, 8, 1);
    const reference = createModel(config);
    const { value, grads } = tf.variableGrads(
      () => tf.add(reference.loss(tokens, targets), tf.mul(2, reference.auxiliaryLoss())),
      reference.trainableVariables,
    );
    const norm = Math.sqrt(
      Object.values(grads).reduce((s, g) => s + tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]!), 0),
    );
    const loss = tf.tidy(() => reference.loss(tokens, targets).dataSync()[0]!);
    for (const [clipNorm, factor] of [
      [undefined, 1],
      [norm / 4, 1 / 4],
    ] as const) {
      const model = createModel(config);
      const optimizer = tf.train.sgd(0.1);
      const returned = trainStep(model, optimizer, tokens, targets, {
        auxiliaryWeight: 2,
        ...(clipNorm === undefined ? {} : { clipNorm }),
      });
      expect(returned).toBeCloseTo(loss, 5);
      for (const [i, v] of model.trainableVariables.entries()) {
        const before = reference.trainableVariables[i]!;
        const expected = tf.tidy(() => tf.sub(before, tf.mul(0.1 * factor, grads[before.name]!)));
        expectTensorsClose(v, expected, { atol: 1e-5, rtol: 1e-4 });
        expected.dispose();
      }
      optimizer.dispose();
      model.dispose();
    }
    tf.dispose([value, ...Object.values(grads), tokens, targets]);
    reference.dispose();
  });

  it('validates its options', () => {
    const model = createModel(tinyLm({ numLayers: 1 }));
    const { tokens, targets } = copyTask(1, 2, 8, 1);
    const sgd = tf.train.sgd(0.1);
    expect(() => trainStep(model, sgd, tokens, targets, { clip: 1 } as never)).toThrow(/options.clip/);
    expect(() => trainStep(model, sgd, tokens, targets, { clipNorm: 0 })).toThrow(
      /`options.clipNorm` must be a finite number > 0/,
    );
    expect(() => trainStep(model, sgd, tokens, targets, { auxiliaryWeight: -1 })).toThrow(
      /options.auxiliaryWeight/,
    );
    tf.dispose([tokens, targets]);
    sgd.dispose();
    model.dispose();
  });
});
