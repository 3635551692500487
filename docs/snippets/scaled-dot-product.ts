import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { scaledDotProductAttention } from '@efficient-attention/core';

await tf.setBackend('cpu');
// Multi-head attention works on [batch, heads, seq, headDim]: 2 heads of width 8 over 6 tokens.
const q = tf.randomNormal([1, 2, 6, 8], 0, 1, 'float32', 1);
const k = tf.randomNormal([1, 2, 6, 8], 0, 1, 'float32', 2);
const v = tf.randomNormal([1, 2, 6, 8], 0, 1, 'float32', 3);

// softmax(QKᵀ/√d)V, and the attention matrix A itself.
const { output, weights } = scaledDotProductAttention(q, k, v, { returnWeights: true });

// Every row of A is a probability distribution over the keys.
const rowSums = tf.sum(weights, -1).arraySync() as number[][][];
console.log(
  output.shape,
  weights.shape,
  rowSums[0]?.[0]?.map((s) => s.toFixed(3)),
);

// The same computation by hand, for one head: Q Kᵀ / √d → softmax → · V.
const [q0, k0, v0] = [q, k, v].map((t) => tf.squeeze(tf.slice(t, [0, 0, 0, 0], [1, 1, 6, 8]), [0, 1]));
const byHand = tf.matMul(tf.softmax(tf.div(tf.matMul(q0!, k0!, false, true), Math.sqrt(8))), v0!);
const libraryHead0 = tf.squeeze(tf.slice(output, [0, 0, 0, 0], [1, 1, 6, 8]), [0, 1]);
console.log('max |Δ| vs by hand:', tf.max(tf.abs(tf.sub(byHand, libraryHead0))).dataSync()[0]);
