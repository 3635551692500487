import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { variableValues } from './variable-values.js';

describeBackends('variableValues', () => {
  it('reads once per buffer and follows assign()', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const first = variableValues(v);
    expect(Array.from(first)).toEqual([1, 2, 3]);
    expect(variableValues(v)).toBe(first); // cached: same array, no new read
    v.assign(tf.tensor1d([4, 5, 6]));
    expect(Array.from(variableValues(v))).toEqual([4, 5, 6]);
    v.dispose();
  });
});
