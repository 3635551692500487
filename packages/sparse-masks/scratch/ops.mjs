import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
await tf.setBackend('wasm'); await tf.ready();
const N = 16384, d = 64;
const k = tf.randomNormal([N, d]); const kT = tf.transpose(k);
function time(name, f, reps = 200) {
  for (let i = 0; i < 5; i++) tf.tidy(() => { const r = f(); r.dataSync(); });
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => { const r = f(); r.dataSync(); });
  console.log(name, ((performance.now() - t0) / reps).toFixed(3), 'ms');
}
const idx = tf.tensor1d(Array.from({ length: 384 }, (_, i) => 5000 + i), 'int32');
time('slice rows 384', () => tf.slice(k, [5000, 0], [384, d]));
time('gather rows 384', () => tf.gather(k, idx));
time('gather axis1 384', () => tf.gather(kT, idx, 1));
time('slice cols 384', () => tf.slice(kT, [0, 5000], [d, 384]));
time('transpose 384x64', () => tf.transpose(tf.slice(k, [5000, 0], [384, d])));
const q = tf.randomNormal([128, d]); const kk = tf.randomNormal([d, 384]); const vv = tf.randomNormal([384, d]);
time('matmul 128x64x384', () => tf.matMul(q, kk));
time('softmax 128x384', () => tf.softmax(tf.matMul(q, kk)));
time('full row', () => { const s = tf.matMul(q, tf.transpose(tf.slice(k, [5000, 0], [384, d]))); return tf.matMul(tf.softmax(tf.add(s, tf.zeros([128,384]))), tf.slice(k, [5000, 0], [384, d])); });
const big = tf.randomNormal([1, 8, N, d]);
time('slice 4d head', () => tf.slice(big, [0, 3, 0, 0], [1, 1, N, d]), 50);
time('unstack 4d', () => tf.stack(tf.unstack(tf.reshape(big, [8, N, d]))), 10);
time('reshape+slice2d', () => tf.slice(tf.reshape(big, [8 * N, d]), [3 * N, 0], [N, d]), 50);
time('tensor create 49k', () => tf.tensor(new Float32Array(128*384), [128, 384]));
