import { assertKnownOptions, assertNumber } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TransformerModel } from './transformer-model.js';

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** Weight of {@link TransformerModel.auxiliaryLoss} in the minimised loss. Default 1. */
  auxiliaryWeight?: number;
  /** Rescale the gradients so that their global ℓ2 norm is at most this. Default: no clipping. */
  clipNorm?: number;
}

/**
 * One optimizer step on `model.loss(tokens, targets) + auxiliaryWeight · model.auxiliaryLoss()`: gradients
 * of every trainable variable by `tf.variableGrads`, optional global-norm clipping (Pascanu et al. 2013,
 * https://arxiv.org/abs/1211.5063), `optimizer.applyGradients`, then `model.constrain()`. Returns the
 * task loss (without the auxiliary term) before the step. Leaves no tensors behind.
 *
 * @example
 * ```ts
 * const optimizer = tf.train.adam(1e-2);
 * for (let i = 0; i < 100; i++) trainStep(model, optimizer, tokens, targets, { clipNorm: 1 });
 * ```
 */
export function trainStep(
  model: TransformerModel,
  optimizer: tf.Optimizer,
  tokens: tf.Tensor2D,
  targets: tf.Tensor,
  options: TrainStepOptions = {},
): number {
  const fn = 'trainStep';
  assertKnownOptions(fn, options, ['auxiliaryWeight', 'clipNorm']);
  const auxiliaryWeight = options.auxiliaryWeight ?? 1;
  assertNumber(fn, 'options.auxiliaryWeight', auxiliaryWeight, { min: 0 });
  if (options.clipNorm !== undefined)
    assertNumber(fn, 'options.clipNorm', options.clipNorm, { positive: true });
  let lossValue = Number.NaN;
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const task = model.loss(tokens, targets);
      lossValue = task.dataSync()[0]!;
      return auxiliaryWeight === 0 ? task : tf.add(task, tf.mul(auxiliaryWeight, model.auxiliaryLoss()));
    }, model.trainableVariables);
    let applied = grads;
    if (options.clipNorm !== undefined) {
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const factor = tf.minimum(1, tf.div(options.clipNorm, tf.maximum(norm, 1e-12)));
      applied = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, factor)]));
    }
    optimizer.applyGradients(applied);
    tf.dispose(value);
  });
  model.constrain();
  return lossValue;
}
