import type { TaskState } from './use-task.js';

/** Progress bar, cancel button and outcome of a worker task. */
export function TaskStatus({
  state,
  onCancel,
  label,
}: {
  state: TaskState<unknown>;
  onCancel: () => void;
  label: string;
}) {
  return (
    <div className="task-status" aria-live="polite">
      {state.status === 'running' && (
        <>
          <progress
            value={state.progress.done}
            max={Math.max(1, state.progress.total)}
            aria-label={`${label} progress`}
          />{' '}
          <span data-testid="task-progress">
            {state.progress.done} / {state.progress.total || '…'}
          </span>{' '}
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </>
      )}
      {state.status === 'cancelled' && (
        <span data-testid="task-cancelled">
          Cancelled after {state.progress.done} of {state.progress.total} steps.
        </span>
      )}
      {state.status === 'error' && (
        <p role="alert" data-testid="task-error">
          {state.message}
        </p>
      )}
    </div>
  );
}
