// A worker thread that owns an onnxruntime-node session, so the benchmark's synchronous `run()` can time
// ORT's asynchronous `session.run`: the main thread posts a run through a shared Int32Array and sleeps on
// Atomics.wait until this worker signals the result (overhead: microseconds against 100+ ms runs).
import { workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { model, threads, shape, ctrl } = workerData;
const c = new Int32Array(ctrl);
try {
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // No busy-waiting after a run: ORT's intra-op threads otherwise spin on both cores for a while after each
    // run, which slowed the contender timed next in an interleaved round by 15–30% (measured here).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const size = shape.reduce((a, b) => a * b, 1);
  const feeds = {};
  let seed = 1;
  for (const name of ['q', 'k', 'v']) {
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = (seed / 2 ** 32) * 2 - 1;
    }
    feeds[name] = new ort.Tensor('float32', data, shape);
  }
  Atomics.store(c, 3, 1);
  Atomics.notify(c, 3);
  let seen = 0;
  for (;;) {
    Atomics.wait(c, 0, seen);
    const seq = Atomics.load(c, 0);
    if (seq < 0) break;
    seen = seq;
    const out = await session.run(feeds);
    c[2] = Number.isFinite(out.out.data[0]) ? 1 : 2;
    Atomics.store(c, 1, seq);
    Atomics.notify(c, 1);
  }
} catch (error) {
  console.error(`ORT worker: ${error?.message ?? error}`);
  Atomics.store(c, 3, 2);
  Atomics.notify(c, 3);
}
