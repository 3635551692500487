import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { permuteRows, rowBlocks } from './row-blocks.js';

describeBackends('row blocks', () => {
  it('cut rows as tf.slice does (as they are and transposed), with the gradients of slice', () => {
    const x = seededTensor([10, 3], 1).tensor as tf.Tensor2D;
    const w = seededTensor([4, 3], 2).tensor;
    const blocks = rowBlocks(x);
    expectTensorsClose(blocks.rows(3, 4), tf.slice(x, [3, 0], [4, 3]), { atol: 0, rtol: 0 });
    expectTensorsClose(blocks.rowsTransposed(6, 4), tf.transpose(tf.slice(x, [6, 0], [4, 3])), {
      atol: 0,
      rtol: 0,
    });
    // d/dx Σ (block ⊙ w) is w placed at the block's rows, zeros elsewhere: exactly slice's gradient.
    const viaBlocks = tf.grad((a: tf.Tensor) => {
      const b = rowBlocks(a as tf.Tensor2D);
      return tf.add(tf.sum(tf.mul(b.rows(3, 4), w)), tf.sum(tf.mul(b.rowsTransposed(6, 4), tf.transpose(w))));
    })(x);
    const viaSlice = tf.grad((a: tf.Tensor) =>
      tf.add(tf.sum(tf.mul(tf.slice(a, [3, 0], [4, 3]), w)), tf.sum(tf.mul(tf.slice(a, [6, 0], [4, 3]), w))),
    )(x);
    expectTensorsClose(viaBlocks, viaSlice, { atol: 0, rtol: 0 });
    expectNoLeaks(() => rowBlocks(x).rows(0, 2));
    tf.dispose([x, w, viaBlocks, viaSlice]);
  });

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
