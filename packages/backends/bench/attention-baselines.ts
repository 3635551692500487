/** Baselines of the attention benchmarks: the best tfjs-ops path and a synchronous onnxruntime-node session. */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

/** The best tfjs-ops path of TFJS-PERF.md: per head, 2-D matMuls (XNNPACK) with an explicit transpose. */
export function perHeadAttention(
  { q, k, v }: { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor },
  scale: number,
): tf.Tensor {
  return tf.tidy(() => {
    const [, h, n, d] = q.shape as [number, number, number, number];
    const qs = tf.unstack(tf.reshape(tf.mul(q, scale), [h, n, d]));
    const ks = tf.unstack(tf.reshape(k, [h, n, d]));
    const vs = tf.unstack(tf.reshape(v, [h, n, d]));
    const outs = qs.map((qh, i) =>
      tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(qh, tf.transpose(ks[i]!))), vs[i]!)),
    );
    return tf.reshape(tf.stack(outs), [1, h, n, d]);
  });
}

/** A synchronous handle on an onnxruntime-node session living in a worker thread. */
export function ortSession(
  model: Uint8Array,
  shape: number[],
  threads: number,
): { run(): void; close(): void } {
  const ctrl = new SharedArrayBuffer(16);
  const c = new Int32Array(ctrl);
  const worker = new Worker(new URL('./ort-attention-worker.mjs', import.meta.url), {
    workerData: { model, threads, shape, ctrl },
  });
  worker.unref();
  if (Atomics.wait(c, 3, 0, 300_000) === 'timed-out' || c[3] !== 1) {
    throw new Error('onnxruntime-node session failed to start (see stderr)');
  }
  let seq = 0;
  return {
    run() {
      seq++;
      Atomics.store(c, 0, seq);
      Atomics.notify(c, 0);
      while (Atomics.load(c, 1) !== seq) Atomics.wait(c, 1, seq - 1, 60_000);
      if (c[2] !== 1) throw new Error('onnxruntime-node returned a non-finite output');
    },
    close() {
      Atomics.store(c, 0, -1);
      Atomics.notify(c, 0);
    },
  };
}
