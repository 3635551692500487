import { useCallback, useEffect, useRef, useState } from 'react';
import { runOnBackend } from '../backend-store.js';
import type { TaskKind, Tasks } from '../worker/protocol.js';
import { TaskCancelledError, type TaskProgress } from '../worker/worker-client.js';

/** A worker task's state as a view shows it. */
export type TaskState<T> =
  | { status: 'idle' }
  | { status: 'running'; progress: TaskProgress }
  | { status: 'done'; value: T }
  | { status: 'cancelled'; progress: TaskProgress }
  | { status: 'error'; message: string };

/**
 * Starts worker tasks of one kind on the selected backend, with progress and cancel; starting again
 * cancels the previous run, and leaving the view cancels the current one.
 */
export function useTask<K extends TaskKind>(kind: K) {
  const [state, setState] = useState<TaskState<Tasks[K]['result']>>({ status: 'idle' });
  const current = useRef<{ cancel(): void } | undefined>(undefined);
  const progress = useRef<TaskProgress>({ done: 0, total: 0 });

  const start = useCallback(
    (args: Tasks[K]['args']) => {
      current.current?.cancel();
      progress.current = { done: 0, total: 0 };
      setState({ status: 'running', progress: progress.current });
      const task = runOnBackend(kind, args, (p) => {
        progress.current = p;
        setState({ status: 'running', progress: p });
      });
      current.current = task;
      task.result.then(
        (value) => {
          if (current.current === task) setState({ status: 'done', value });
        },
        (error: Error) => {
          if (current.current !== task) return;
          if (error instanceof TaskCancelledError || error.message === 'Cancelled.') {
            setState({ status: 'cancelled', progress: progress.current });
          } else setState({ status: 'error', message: error.message });
        },
      );
    },
    [kind],
  );
  const cancel = useCallback(() => current.current?.cancel(), []);
  useEffect(() => () => current.current?.cancel(), []);
  return { state, start, cancel };
}
