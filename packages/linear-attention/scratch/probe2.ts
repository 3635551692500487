import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
const time = (name: string, f: () => tf.Tensor | tf.Tensor[], reps = 5) => {
  tf.dispose(f());
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = f(); (Array.isArray(r) ? r : [r]).forEach(x => x.dataSync()); tf.dispose(r); }
  console.log(name, ((performance.now() - t0) / reps).toFixed(2), 'ms');
};
const N = 16384, F = 64, C = 64;
const x = tf.randomNormal([N, F]);
const x3 = tf.reshape(x, [N / C, C * F]);
const idx = Array.from({ length: N / C }, (_, c) => tf.tensor1d([c], 'int32'));
time('256 gathers', () => idx.map((i) => tf.reshape(tf.gather(x3, i), [C, F])));
time('256 slices of [N/C, C*F]', () => idx.map((_, c) => tf.slice(x3, [c, 0], [1, C * F])));
const xT = tf.transpose(x3); // [C*F, nC]
time('256 column slices', () => idx.map((_, c) => tf.slice(xT, [0, c], [C * F, 1])));
time('single slice', () => tf.slice(x, [0, 0], [64, 64]), 20);
const small = tf.randomNormal([64, 64]);
time('single slice small', () => tf.slice(small, [0, 0], [32, 64]), 20);
