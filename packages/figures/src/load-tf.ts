import type * as TfCore from '@tensorflow/tfjs-core';

let loading: Promise<typeof TfCore> | undefined;

/**
 * Loads `@tensorflow/tfjs-core` on first use (never at import time, so pages render on a server without
 * it) and waits for a backend: the one the page already chose (the playground's backend picker), else the
 * best registered one — `cpu` is always registered, so a figure works everywhere.
 *
 * @example
 * ```ts
 * const tf = await loadTf();
 * tf.tidy(() => tf.ones([2]).sum().dataSync());
 * ```
 */
export function loadTf(): Promise<typeof TfCore> {
  loading ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.ready();
    return tf;
  })();
  return loading;
}
