import { assertKnownOptions, assertNumber } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link enableNodeWasmThreads}. */
export interface NodeWasmThreadsOptions {
  /** Threads of tfjs-wasm's XNNPACK pool. Default: `os.availableParallelism()` (all cores). */
  threads?: number;
}

/**
 * Appended to tfjs-wasm's pthread worker script: in Node the worker receives tfjs's main script as a Blob,
 * which its `importScripts` (a file read) cannot load. This shim holds messages, writes the Blob to a file
 * next to the worker script, and passes the path instead.
 */
const WORKER_SHIM = `
;(() => {
  const original = self.onmessage;
  let busy = false;
  const queue = [];
  const handle = (e) => {
    const d = e.data;
    if (busy) { queue.push(e); return; }
    if (d && d.cmd === 'load' && d.urlOrBlob && typeof d.urlOrBlob !== 'string') {
      busy = true;
      d.urlOrBlob.text().then((text) => {
        const file = require('path').join(__dirname, 'main-' + require('worker_threads').threadId + '.js');
        // The factory refers to its bundle's module variables (rollup's require$$N for fs, path, perf_hooks, os).
        const prelude = "var require$$0 = require('fs'), require$$1 = require('path'), " +
          "require$$2 = require('worker_threads'), require$$3 = require('perf_hooks'), require$$4 = require('os'), " +
          "commonjsGlobal = globalThis;\\n";
        require('fs').writeFileSync(file, prelude + text);
        d.urlOrBlob = file;
        busy = false;
        original(e);
        queue.splice(0).forEach(handle);
      });
      return;
    }
    original(e);
  };
  self.onmessage = handle;
})();
`;

/** tfjs-wasm's pthread worker source, read from its Node bundle (a string literal `wasmWorkerContents`). */
async function workerContents(): Promise<string> {
  const { createRequire } = await import('node:module');
  const { readFile } = await import('node:fs/promises');
  const bundle = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  const text = await readFile(bundle, 'utf8');
  const start = text.indexOf('var wasmWorkerContents = "');
  const end = text.indexOf('";\n', start);
  if (start < 0 || end < 0) {
    throw new Error(
      `enableNodeWasmThreads: tfjs-backend-wasm's worker script was not found in ${bundle}; this function is ` +
        'written against @tensorflow/tfjs-backend-wasm 4.22.0.',
    );
  }
  const contents = JSON.parse(text.slice(text.indexOf('"', start), end + 1)) as string;
  // As tfjs does before making its Blob: the literal's newlines sit inside JS strings of the script.
  return contents.replace(/\n/g, '\\n');
}

/**
 * Opt-in: runs tfjs's own `wasm` backend multithreaded in Node (tfjs 4.22 hard-codes a single thread there:
 * its `WASM_HAS_MULTITHREAD_SUPPORT` flag is false under Node, and its pthread worker script is a Blob URL
 * that Node's workers cannot load). It sets that flag, sets the XNNPACK pool size with tfjs-wasm's public
 * `setThreadsCount`, writes the pthread worker script to a temporary directory, and initialises the `wasm`
 * backend — only while this function runs is `URL.createObjectURL` redirected to that file and does
 * `os.cpus()` report 2 × threads cores (tfjs-wasm's C++ caps its pool at half the cores); both are restored
 * before it returns, and nothing is patched on import. Call it once, before anything initialises the `wasm`
 * backend. Returns the threads XNNPACK reports. It relies on tfjs-wasm 4.22 internals (the worker
 * script's text): re-test it on every tfjs upgrade. This package's own wasm kernels do not need it: they
 * run their own threads ({@link registerWasmKernels}).
 *
 * Threads help XNNPACK's 2-D matMuls (the fast tfjs-ops path for attention: see TFJS-PERF.md); XNNPACK
 * is Google's operator library (https://github.com/google/XNNPACK); FlashAttention context:
 * https://arxiv.org/abs/2205.14135.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { enableNodeWasmThreads } from '@efficient-attention/backends';
 * const { threads } = await enableNodeWasmThreads({ threads: 2 }); // tf.getBackend() === 'wasm'
 * ```
 */
export async function enableNodeWasmThreads(
  options: NodeWasmThreadsOptions = {},
): Promise<{ threads: number }> {
  const FN = 'enableNodeWasmThreads';
  assertKnownOptions(FN, options, ['threads']);
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof p?.versions?.node !== 'string') {
    throw new Error(
      `${FN} is for Node: in browsers tfjs-wasm uses threads on its own when the page is cross-origin isolated.`,
    );
  }
  const os = await import('node:os');
  const threads = options.threads ?? os.availableParallelism();
  assertNumber(FN, 'options.threads', threads, { integer: true, min: 1, max: 256 });
  if ((tf.engine().registry as Record<string, unknown>).wasm !== undefined) {
    throw new Error(
      `${FN} must run before the tfjs "wasm" backend initialises (before tf.setBackend('wasm') or any op on it): ` +
        'call it first, at start-up.',
    );
  }
  // An optional peer, imported by a computed name so that browser bundlers leave it alone.
  const wasmPackage = '@tensorflow/tfjs-backend-wasm';
  const wasmBackend = (await import(/* @vite-ignore */ wasmPackage)) as {
    setThreadsCount(n: number): void;
    getThreadsCount(): number;
  };
  if (tf.findBackendFactory('wasm') === null) {
    throw new Error(
      `${FN}: the tfjs "wasm" backend is not registered: import '@tensorflow/tfjs-backend-wasm'.`,
    );
  }
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ea-tfjs-wasm-threads-'));
  const workerFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  await writeFile(workerFile, (await workerContents()) + WORKER_SHIM);

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasmBackend.setThreadsCount(threads);
  const original = URL.createObjectURL;
  URL.createObjectURL = (blob: Blob) =>
    blob instanceof Blob && blob.type === 'application/javascript' ? workerFile : original(blob);
  // tfjs-wasm's C++ caps XNNPACK at half the logical cores it reads from os.cpus() (1 on a 2-core machine):
  // while it initialises, it sees 2 × threads cores.
  const nodeOs = os.default ?? os;
  const cpus = nodeOs.cpus;
  nodeOs.cpus = () => {
    const list = cpus();
    return Array.from({ length: Math.max(list.length, 2 * threads) }, (_, i) => list[i % list.length]!);
  };
  try {
    if (!(await tf.setBackend('wasm')))
      throw new Error(`${FN}: tf.setBackend('wasm') failed with threads enabled.`);
    await tf.ready();
  } finally {
    URL.createObjectURL = original;
    nodeOs.cpus = cpus;
    // tfjs has loaded its pool of pthread workers (their scripts) by the time the backend is ready.
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  }
  return { threads: wasmBackend.getThreadsCount() };
}
