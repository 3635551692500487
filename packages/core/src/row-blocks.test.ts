import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { rowBlocks } from './row-blocks.js';

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
    expectTensorsClose(
      blocks.rowsWithOnes(2, 5),
      tf.concat([tf.slice(x, [2, 0], [5, 3]), tf.ones([5, 1])], 1),
      {
        atol: 0,
        rtol: 0,
      },
    );
    expectNoLeaks(() => rowBlocks(x).rows(0, 2));
    tf.dispose([x, w, viaBlocks, viaSlice]);
  });
});
