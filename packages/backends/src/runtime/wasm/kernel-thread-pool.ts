import { exportedFunctionNames, type KernelModule } from './kernel-module.js';

/** Int32 slots per worker in the control block: seq, done, function, arg count, failed. */
const CTRL_STRIDE = 8;
/** Float64 argument slots per worker. */
const ARG_STRIDE = 32;

/**
 * The worker's program (plain JS, so it needs no bundler or TypeScript loader: Node runs it with
 * `eval: true`, browsers from a Blob URL). It instantiates the kernel module over the shared memory, then
 * sleeps on its control word (Atomics.wait), runs the requested export and signals completion.
 */
const WORKER_SOURCE = `
function serve(data, ready) {
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  // The same list, in the same order, as exportedFunctionNames() on the calling thread.
  const FUNCTIONS = WebAssembly.Module.exports(data.module).filter((e) => e.kind === 'function').map((e) => e.name);
  const c = new Int32Array(data.ctrl);
  const a = new Float64Array(data.args);
  const base = data.index * ${CTRL_STRIDE};
  const argBase = data.index * ${ARG_STRIDE};
  ready();
  let seen = 0;
  for (;;) {
    Atomics.wait(c, base, seen);
    const seq = Atomics.load(c, base);
    if (seq === seen) continue;
    if (seq < 0) return;
    seen = seq;
    const n = c[base + 3];
    const argv = [];
    for (let i = 0; i < n; i++) argv.push(a[argBase + i]);
    let failed = 0;
    try { instance.exports[FUNCTIONS[c[base + 2]]](...argv); } catch (e) { failed = 1; }
    c[base + 4] = failed;
    Atomics.store(c, base + 1, seq);
    Atomics.notify(c, base + 1);
  }
}
if (typeof self === 'undefined') {
  const { parentPort, workerData } = require('node:worker_threads');
  serve(workerData, () => parentPort.postMessage('ready'));
} else {
  self.onmessage = (e) => serve(e.data, () => self.postMessage('ready'));
}
`;

interface PoolWorker {
  terminate(): unknown;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * Worker threads (worker_threads in Node, Web Workers in browsers) that run the kernel module's exports
 * on the same shared memory. {@link KernelThreadPool.run} is synchronous, as tfjs kernels are: the calling
 * thread does its share, then waits (Atomics.wait in Node and workers; a spin on Atomics.load on a browser's
 * main thread, where waiting is not allowed).
 */
export class KernelThreadPool {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly seqs: number[];
  private readonly canWait: boolean;
  private readonly functions: string[];

  private constructor(
    private readonly kernels: KernelModule,
    private readonly workers: PoolWorker[],
    ctrl: SharedArrayBuffer,
    args: SharedArrayBuffer,
  ) {
    this.ctrl = new Int32Array(ctrl);
    this.args = new Float64Array(args);
    this.seqs = workers.map(() => 0);
    this.functions = exportedFunctionNames(kernels.module);
    this.canWait = isNode() || typeof (globalThis as { document?: unknown }).document === 'undefined';
  }

  /** Threads that run a call: the caller plus the workers. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Starts `threads − 1` workers over the module's shared memory and waits until each is ready. */
  static async start(kernels: KernelModule, threads: number): Promise<KernelThreadPool> {
    const count = Math.max(0, Math.floor(threads) - 1);
    const ctrl = new SharedArrayBuffer(Math.max(1, count) * CTRL_STRIDE * 4);
    const args = new SharedArrayBuffer(Math.max(1, count) * ARG_STRIDE * 8);
    const workers: PoolWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const data = { module: kernels.module, memory: kernels.memory, ctrl, args, index };
      if (isNode()) {
        const { Worker } = await import('node:worker_threads');
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
        worker.unref();
        workers.push(worker);
        ready.push(
          new Promise((resolve, reject) => {
            worker.once('message', () => resolve());
            worker.once('error', reject);
          }),
        );
      } else {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const worker = new Worker(url);
        workers.push(worker);
        ready.push(
          new Promise((resolve, reject) => {
            worker.onmessage = () => resolve();
            worker.onerror = (e) => reject(new Error(`kernel worker failed to start: ${e.message}`));
          }),
        );
        worker.postMessage(data);
      }
    }
    await Promise.all(ready);
    return new KernelThreadPool(kernels, workers, ctrl, args);
  }

  /**
   * Runs the export `fn` once per thread, with the positional `argsFor(thread)` (thread 0 is the caller),
   * and returns when all are done. Throws when a worker's call trapped.
   */
  run(fn: string, argsFor: (thread: number) => number[]): void {
    const fnIndex = this.functions.indexOf(fn);
    const call = this.kernels.exports[fn];
    if (fnIndex < 0 || typeof call !== 'function') {
      throw new Error(`@efficient-attention/backends: the kernel module exports no function "${fn}"`);
    }
    const c = this.ctrl;
    this.workers.forEach((_, w) => {
      const base = w * CTRL_STRIDE;
      const argv = argsFor(w + 1);
      if (argv.length > ARG_STRIDE) throw new Error(`${fn}: more than ${ARG_STRIDE} arguments`);
      this.args.set(argv, w * ARG_STRIDE);
      c[base + 2] = fnIndex;
      c[base + 3] = argv.length;
      const seq = ++this.seqs[w]!;
      Atomics.store(c, base, seq);
      Atomics.notify(c, base);
    });
    let error: unknown;
    try {
      (call as (...a: number[]) => unknown)(...argsFor(0));
    } catch (e) {
      error = e;
    }
    let failed = false;
    this.workers.forEach((_, w) => {
      const base = w * CTRL_STRIDE;
      const seq = this.seqs[w]!;
      for (;;) {
        const done = Atomics.load(c, base + 1);
        if (done === seq) break;
        if (this.canWait) Atomics.wait(c, base + 1, done, 1000);
      }
      if (c[base + 4] !== 0) failed = true;
    });
    if (error !== undefined) throw error;
    if (failed)
      throw new Error(`@efficient-attention/backends: the wasm kernel "${fn}" trapped in a worker thread.`);
  }

  /** Stops the workers. */
  terminate(): void {
    this.workers.forEach((worker, w) => {
      Atomics.store(this.ctrl, w * CTRL_STRIDE, -1);
      Atomics.notify(this.ctrl, w * CTRL_STRIDE);
      worker.terminate();
    });
    this.workers.length = 0;
  }
}
