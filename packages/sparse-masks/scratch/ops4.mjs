import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
function time(name, f, reps = 300) {
  for (let i = 0; i < 5; i++) tf.tidy(() => { f(); });
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => { f(); });
  console.log(name, ((performance.now() - t0) / reps * 1000).toFixed(0), 'us');
}
const k = tf.randomNormal([2048, 64]);
for (const n of [1, 8, 64, 384, 2048]) {
  const idx = tf.tensor1d(Array.from({ length: n }, (_, i) => i), 'int32');
  time(`gather ${n}`, () => tf.gather(k, idx));
}
const k1 = tf.randomNormal([2048]);
const idx = tf.tensor1d(Array.from({ length: 384 }, (_, i) => i), 'int32');
time(`gather 1-D 384`, () => tf.gather(k1, idx));
