import type { BackendName, CapabilityReport } from '@efficient-attention/backends';
import { useSyncExternalStore } from 'react';
import type { TaskKind, Tasks } from './worker/protocol.js';
import { type RunningTask, runTask, type TaskProgress } from './worker/worker-client.js';

/** The backends the picker offers, fastest first. */
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The worker's backend: being set up, ready with its capability report, or failed with the reason. */
export type BackendState =
  | { status: 'initialising'; backend: BackendName }
  | { status: 'ready'; backend: BackendName; report: CapabilityReport }
  | { status: 'failed'; backend: BackendName; message: string };

let state: BackendState | undefined;
let ready: Promise<unknown> = Promise.resolve();
const listeners = new Set<() => void>();

function publish(next: BackendState): void {
  state = next;
  for (const l of listeners) l();
}

/** Switches the compute worker to `backend` (once per change) with `initBackend`; tasks wait for it. */
export function selectBackend(backend: BackendName): void {
  if (state?.backend === backend) return;
  publish({ status: 'initialising', backend });
  const task = runTask('init-backend', { backend });
  ready = task.result.then(
    (report) => {
      if (state?.backend === backend) publish({ status: 'ready', backend, report });
    },
    (error: Error) => {
      if (state?.backend === backend) publish({ status: 'failed', backend, message: error.message });
    },
  );
}

/** The current backend state, re-rendering on change. */
export function useBackendState(): BackendState | undefined {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
    () => undefined,
  );
}

/** Runs a worker task after the selected backend is set up (so timings run on the backend shown). */
export function runOnBackend<K extends TaskKind>(
  kind: K,
  args: Tasks[K]['args'],
  onProgress?: (p: TaskProgress) => void,
): RunningTask<Tasks[K]['result']> {
  let inner: RunningTask<Tasks[K]['result']> | undefined;
  let cancelled = false;
  const result = ready.then(() => {
    if (state?.status === 'failed')
      throw new Error(`The ${state.backend} backend is not available: ${state.message}`);
    if (cancelled) throw new Error('Cancelled.');
    inner = runTask(kind, args, onProgress);
    return inner.result;
  });
  return {
    result,
    cancel: () => {
      cancelled = true;
      inner?.cancel();
    },
  };
}
