import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
function time(name, f, reps = 200) {
  for (let i = 0; i < 5; i++) tf.tidy(() => { f(); });
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => { f(); });
  console.log(name, ((performance.now() - t0) / reps * 1000).toFixed(0), 'us');
}
const N = 16384, d = 64, bs = 128;
const kb = tf.randomNormal([N / bs, bs * d]);
const idx = tf.tensor1d([40, 41, 42], 'int32');
time('gather 3 blocks of 8192', () => tf.gather(kb, idx));
const idxNd = tf.tensor2d([[40], [41], [42]], [3, 1], 'int32');
time('gatherND 3 blocks', () => tf.gatherND(kb, idxNd));
const kb3 = tf.reshape(kb, [N / bs, bs, d]);
time('gatherND 3 blocks rank3', () => tf.gatherND(kb3, idxNd));
const small = tf.randomNormal([bs, d]);
time('concat 3 small', () => tf.concat([small, small, small], 0));
time('stridedSlice', () => tf.stridedSlice(kb, [40, 0], [43, bs*d]));
time('split 2', () => tf.split(kb, 2, 0));
time('transpose big', () => tf.transpose(tf.reshape(kb, [N, d])), 20);
