import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
const N = 16384, d = 64;
const k = tf.randomNormal([N, d]); const kT = tf.transpose(k);
function time(name, f, reps = 300) {
  for (let i = 0; i < 5; i++) tf.tidy(() => { f(); });
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => { f(); });
  console.log(name, ((performance.now() - t0) / reps * 1000).toFixed(0), 'us');
}
const small = tf.randomNormal([128, 64]);
const idx = tf.tensor1d(Array.from({ length: 384 }, (_, i) => 5000 + i), 'int32');
time('add small', () => tf.add(small, 1));
time('slice rows 384', () => tf.slice(k, [5000, 0], [384, d]));
time('gather rows 384', () => tf.gather(k, idx));
time('gather axis1 384', () => tf.gather(kT, idx, 1));
time('idx tensor create', () => tf.tensor1d(new Int32Array(384), 'int32'));
const q = tf.randomNormal([128, d]); const kk = tf.randomNormal([d, 384]); const vv = tf.randomNormal([384, d]);
time('matmul 128x64x384', () => tf.matMul(q, kk));
const s = tf.randomNormal([128,384]);
time('softmax 128x384', () => tf.softmax(s));
time('add bias 128x384', () => tf.add(s, s));
time('matmul PV', () => tf.matMul(s, vv));
time('transpose 384x64', () => tf.transpose(vv));
time('concat 128 rows', () => tf.concat([q, q, q, q, q, q, q, q], 0));
