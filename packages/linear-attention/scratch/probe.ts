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
time('split into 256 chunks', () => tf.split(x, N / C, 0));
time('unstack reshape', () => tf.unstack(tf.reshape(x, [N / C, C, F])));
const parts = tf.split(x, N / C, 0);
const S = tf.randomNormal([F, 65]);
const v = tf.randomNormal([C, 65]);
const mask = tf.linalg.bandPart(tf.ones([C, C]), -1, 0);
time('256 chunk iterations (7 ops)', () => {
  return tf.tidy(() => {
    let s = S; const outs = [];
    for (const p of parts) {
      const pt = tf.transpose(p);
      const a = tf.mul(tf.matMul(p, pt), mask);
      outs.push(tf.add(tf.matMul(a, v), tf.matMul(p, s)));
      s = tf.add(s, tf.matMul(pt, v));
    }
    return tf.concat(outs, 0);
  });
}, 3);
const big = tf.randomNormal([N, 267]);
time('exp 16384x267', () => tf.exp(big));
time('matMul 16384x64 x 64x267', () => tf.matMul(x, tf.randomNormal([64, 267])));
time('transpose 16384x267', () => tf.transpose(big));
time('matMul T 267x16384 x 16384x65', () => tf.matMul(tf.transpose(big), tf.randomNormal([N, 65])));
time('max all', () => tf.max(big));
time('batched 256x64x64 @ 256x64x65', () => tf.matMul(tf.reshape(x,[256,64,64]), tf.randomNormal([256,64,65])));
