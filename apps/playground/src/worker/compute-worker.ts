/// <reference lib="webworker" />
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { type BackendName, type CapabilityReport, initBackend } from '@efficient-attention/backends';
import { measureAttention } from '@efficient-attention/figures/compute';
import { attentionTask } from './attention-task.js';
import { maskTask } from './mask-task.js';
import { matmulTiming } from './matmul-timing.js';
import type { TaskKind, Tasks, WorkerRequest, WorkerResponse } from './protocol.js';
import { setBundledWasmPaths } from './wasm-paths.js';

declare const self: DedicatedWorkerGlobalScope;

setBundledWasmPaths();

const cancelled = new Set<number>();

class Cancelled extends Error {}

/** Lets queued messages (a cancel) in, then stops if this task was cancelled. */
async function checkpoint(id: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (cancelled.has(id)) throw new Cancelled();
}

function progress(id: number, done: number, total: number, partial?: unknown): void {
  self.postMessage({ type: 'progress', id, done, total, partial } satisfies WorkerResponse);
}

let backendKernels: Promise<void> | undefined;

async function initialise(backend: BackendName): Promise<CapabilityReport> {
  // The fused GLSL / WGSL kernels of @efficient-attention/backends register on import of their entry.
  if (backend === 'webgl')
    backendKernels = import('@efficient-attention/backends/webgl').then(() => undefined);
  if (backend === 'webgpu')
    backendKernels = import('@efficient-attention/backends/webgpu').then(() => undefined);
  await backendKernels;
  return initBackend({ prefer: [backend] });
}

type Handlers = { [K in TaskKind]: (id: number, args: Tasks[K]['args']) => Promise<Tasks[K]['result']> };

const handlers: Handlers = {
  'init-backend': (_id, { backend }) => initialise(backend),
  async complexity(id, { lengths, mechanisms, params, repeats }) {
    const rows = [];
    const total = lengths.length * mechanisms.length;
    for (const n of lengths) {
      for (const m of mechanisms) {
        await checkpoint(id);
        const row = await measureAttention(m, n, params, repeats);
        rows.push(row);
        progress(id, rows.length, total, rows);
      }
    }
    return rows;
  },
  async 'bitnet-timing'(id, { sizes, repeats }) {
    const rows = [];
    for (const size of sizes) {
      await checkpoint(id);
      rows.push(await matmulTiming(size, repeats));
      progress(id, rows.length, sizes.length, rows);
    }
    return rows;
  },
  masks: async (_id, args) => maskTask(args),
  attention: (id, args) =>
    attentionTask(
      args,
      () => checkpoint(id),
      (done, total) => progress(id, done, total),
    ),
};

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  if (message.type === 'cancel') {
    cancelled.add(message.id);
    return;
  }
  const { id } = message;
  try {
    const handler = handlers[message.kind] as (id: number, args: unknown) => Promise<unknown>;
    const value = await handler(id, message.args);
    self.postMessage({ type: 'result', id, value } satisfies WorkerResponse);
  } catch (error) {
    if (error instanceof Cancelled) self.postMessage({ type: 'cancelled', id } satisfies WorkerResponse);
    else
      self.postMessage({
        type: 'error',
        id,
        message: error instanceof Error ? error.message : String(error),
      } satisfies WorkerResponse);
  } finally {
    cancelled.delete(id);
  }
};
