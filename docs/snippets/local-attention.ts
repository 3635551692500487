import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { scaledDotProductAttention } from '@efficient-attention/core';
import {
  blockSparseAttention,
  causal,
  createBlockMask,
  slidingWindow,
} from '@efficient-attention/sparse-masks';

await tf.setBackend('cpu');
const n = 512;
const q = tf.randomNormal([1, 2, n, 32], 0, 1, 'float32', 1);
const k = tf.randomNormal([1, 2, n, 32], 0, 1, 'float32', 2);
const v = tf.randomNormal([1, 2, n, 32], 0, 1, 'float32', 3);

// Global: every query scores every key, N² scores (causal keeps the lower triangle).
const global = scaledDotProductAttention(q, k, v, { mask: causal() });

// Local: each query sees the 32 keys before it, N·(w+1) scores. Compiled into 64-wide blocks,
// only the blocks the window touches are computed.
const window = slidingWindow({ before: 32 });
const blockMask = createBlockMask(window, n, n, { blockSize: 64 });
const local = blockSparseAttention(q, k, v, blockMask);

// Same result as dense attention under the same mask.
const dense = scaledDotProductAttention(q, k, v, { mask: window });
console.log(global.shape, `blocks skipped: ${(100 * blockMask.sparsity()).toFixed(0)}%`);
console.log('max |Δ| block-sparse vs dense:', tf.max(tf.abs(tf.sub(local, dense))).dataSync()[0]);
