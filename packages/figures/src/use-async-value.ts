import { type DependencyList, useEffect, useState } from 'react';

/** The state of a value computed asynchronously after render. */
export type AsyncValue<T> =
  | { status: 'pending' }
  | { status: 'ready'; value: T }
  | { status: 'error'; error: Error };

/**
 * Runs `compute` in an effect (never during render, so server-side rendering stays free of tfjs, window
 * and canvas) and again whenever `deps` change; results of superseded runs are dropped. Errors are kept
 * as state so a figure can explain them in the page instead of throwing.
 *
 * @example
 * ```ts
 * const stats = useAsyncValue(() => computeStats(n), [n]);
 * if (stats.status === 'ready') console.log(stats.value);
 * ```
 */
export function useAsyncValue<T>(compute: () => Promise<T>, deps: DependencyList): AsyncValue<T> {
  const [state, setState] = useState<AsyncValue<T>>({ status: 'pending' });
  useEffect(() => {
    let current = true;
    compute().then(
      (value) => {
        if (current) setState({ status: 'ready', value });
      },
      (error: unknown) => {
        if (current)
          setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => {
      current = false;
    };
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what `compute` reads.
  }, deps);
  return state;
}
