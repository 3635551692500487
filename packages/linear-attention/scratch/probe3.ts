import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
const time = (name: string, f: () => tf.Tensor | tf.Tensor[], reps = 5) => {
  tf.dispose(f());
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = f(); tf.dispose(r); }
  console.log(name, ((performance.now() - t0) / reps).toFixed(2), 'ms');
};
const N = 16384, F = 64, C = 64;
const x = tf.randomNormal([N, F]);
const x3 = tf.reshape(x, [N / C, C * F]);
const idx = Array.from({ length: N / C }, (_, c) => tf.tensor1d([c], 'int32'));
time('256 gathers nosync', () => idx.map((i) => tf.gather(x3, i)));
time('256 gathers reshape', () => idx.map((i) => tf.reshape(tf.gather(x3, i), [C,F])));
time('256 slices of x3 nosync', () => idx.map((_, c) => tf.slice(x3, [c, 0], [1, C * F])));
time('256 small adds', () => idx.map((_, c) => tf.add(idx[c]!, 1)));
const y = tf.randomNormal([C, F]);
time('256 small matMul 64x64x64', () => idx.map(() => tf.matMul(y, y)));
