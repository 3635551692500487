import type { TaskKind, Tasks, WorkerRequest, WorkerResponse } from './protocol.js';

/** Progress of a running task. */
export interface TaskProgress<P = unknown> {
  done: number;
  total: number;
  /** The latest partial result the worker sent, if any. */
  partial?: P;
}

/** A task started in the worker: its result and a way to stop it. */
export interface RunningTask<T> {
  result: Promise<T>;
  cancel(): void;
}

/** Thrown (as the rejection) when a task was cancelled. */
export class TaskCancelledError extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'TaskCancelledError';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (p: TaskProgress) => void;
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function getWorker(): Worker {
  if (worker === undefined) {
    worker = new Worker(new URL('./compute-worker.ts', import.meta.url), { type: 'module', name: 'compute' });
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      const message = event.data;
      const task = pending.get(message.id);
      if (task === undefined) return;
      if (message.type === 'progress') {
        task.onProgress?.({ done: message.done, total: message.total, partial: message.partial });
        return;
      }
      pending.delete(message.id);
      if (message.type === 'result') task.resolve(message.value);
      else if (message.type === 'cancelled') task.reject(new TaskCancelledError());
      else task.reject(new Error(message.message));
    };
    worker.onerror = (event) => {
      for (const [id, task] of pending) {
        task.reject(new Error(`The compute worker failed: ${event.message}`));
        pending.delete(id);
      }
    };
  }
  return worker;
}

/**
 * Runs a task in the shared compute worker (heavy work never runs on the page's thread), reporting
 * progress; `cancel()` stops it between steps and rejects the result with {@link TaskCancelledError}.
 */
export function runTask<K extends TaskKind>(
  kind: K,
  args: Tasks[K]['args'],
  onProgress?: (p: TaskProgress) => void,
): RunningTask<Tasks[K]['result']> {
  const id = nextId++;
  const w = getWorker();
  const result = new Promise<Tasks[K]['result']>((resolve, reject) => {
    pending.set(id, {
      resolve: resolve as (v: unknown) => void,
      reject,
      ...(onProgress ? { onProgress } : {}),
    });
  });
  w.postMessage({ type: 'run', id, kind, args } as WorkerRequest);
  return { result, cancel: () => w.postMessage({ type: 'cancel', id } satisfies WorkerRequest) };
}
