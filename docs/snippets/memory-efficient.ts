import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { memoryEfficientAttention, scaledDotProductAttention } from '@efficient-attention/core';

await tf.setBackend('cpu'); // in your app: 'wasm' in Node, 'webgpu' or 'webgl' in the browser
const q = tf.randomNormal([1, 2, 512, 32], 0, 1, 'float32', 1);

// Exact attention over 64×128 chunks with an online softmax: peak memory O(N·chunk) instead of O(N²).
const chunked = memoryEfficientAttention(q, q, q, { causal: true, queryChunkSize: 64, keyChunkSize: 128 });
const dense = scaledDotProductAttention(q, q, q, { causal: true });
console.log(tf.getBackend(), 'max |Δ|:', tf.max(tf.abs(tf.sub(chunked, dense))).dataSync()[0]);
