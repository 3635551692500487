import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { blockSparseAttention, createBlockMask, slidingWindow } from '@efficient-attention/sparse-masks';

await tf.setBackend('cpu');
const q = tf.randomNormal([1, 4, 256, 32], 0, 1, 'float32', 1); // [batch, heads, seq, headDim]
const blockMask = createBlockMask(slidingWindow({ radius: 16 }), 256, 256, { blockSize: 32 });
const out = blockSparseAttention(q, q, q, blockMask); // only the blocks near the diagonal are computed
console.log(out.shape, `skipped ${(100 * blockMask.sparsity()).toFixed(0)}% of the blocks`);
