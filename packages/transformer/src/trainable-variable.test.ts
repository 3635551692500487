import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { trainableVariable } from './trainable-variable.js';

describeBackends('trainableVariable', () => {
  it('holds the initial value as a trainable variable and leaves no initial tensor behind', () => {
    const before = tf.memory().numTensors;
    const v = trainableVariable(() => tf.mul(tf.ones([3]), 2));
    expect(v.trainable).toBe(true);
    expect(Array.from(v.dataSync())).toEqual([2, 2, 2]);
    expect(tf.memory().numTensors).toBe(before + 1);
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
