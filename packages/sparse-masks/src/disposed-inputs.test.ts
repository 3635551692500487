import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { blockSparseAttention } from './block-sparse-attention.js';
import { createBlockMask } from './create-block-mask.js';
import { slidingWindow } from './patterns/sliding-window.js';

/** Issue 21: a disposed input is named, never tfjs's "Cannot read properties of undefined (reading 'backend')". */
describeBackends('disposed inputs', () => {
  it('blockSparseAttention names the disposed tensor', () => {
    const live = tf.zeros([1, 2, 8, 4]);
    const gone = tf.zeros([1, 2, 8, 4]);
    gone.dispose();
    const mask = createBlockMask(slidingWindow({ before: 2, after: 2 }), 8, 8, { blockSize: 4 });
    expect(() => blockSparseAttention(live, gone, live, mask)).toThrow(
      /blockSparseAttention: `k` must be a live tf.Tensor.*`k` is a disposed tensor/,
    );
    live.dispose();
  });
});
