import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { permuteRows } from './permute-rows.js';

describeBackends('permuteRows', () => {
  it('permute rows with the inverse permutation as gradient', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const perm = Int32Array.from([2, 0, 1]);
    expect(permuteRows(x, perm).arraySync()).toEqual([
      [5, 6],
      [1, 2],
      [3, 4],
    ]);
    const w = tf.tensor2d([
      [1, 10],
      [100, 1000],
      [2, 20],
    ]);
    // Row i of the output is row perm[i] of x, so x's row perm[i] receives w's row i.
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(permuteRows(a as tf.Tensor2D, perm), w)))(x);
    expect(g.arraySync()).toEqual([
      [100, 1000],
      [2, 20],
      [1, 10],
    ]);
    tf.dispose([x, w, g]);
  });
});
