/** Baselines of the attention benchmarks: the best tfjs-ops path and a synchronous onnxruntime-node session. */
import { Worker } from 'node:worker_threads';

export { perHeadAttention } from './per-head-attention.js';

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
