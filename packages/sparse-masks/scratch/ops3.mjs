import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
const d = 64;
function time(name, f, reps = 300) {
  for (let i = 0; i < 5; i++) tf.tidy(() => { f(); });
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => { f(); });
  console.log(name, ((performance.now() - t0) / reps * 1000).toFixed(0), 'us');
}
for (const N of [512, 2048, 16384]) {
  const k = tf.randomNormal([N, d]);
  const idx = tf.tensor1d(Array.from({ length: 384 }, (_, i) => 100 + i), 'int32');
  time(`N=${N} slice rows 384`, () => tf.slice(k, [100, 0], [384, d]));
  time(`N=${N} gather rows 384`, () => tf.gather(k, idx));
}
