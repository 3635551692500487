import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core alone registers no gradients; the @tensorflow/tfjs bundle does this import for users.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { beforeAll, describe } from 'vitest';

/** Backends a Node test run can use. Browser backends (webgl, webgpu) run in the browser suites. */
export const NODE_BACKENDS = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof NODE_BACKENDS)[number];

/** Sets and awaits a backend; throws with the reason when it cannot initialise. */
export async function useBackend(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`The tfjs backend "${name}" failed to initialise in this environment.`);
  await tf.ready();
}

/**
 * Runs a suite once per backend, like tfjs's `describeWithFlags`: `describeBackends('sdpa', (backend) => {
 * it(...) })` yields `sdpa [cpu]` and `sdpa [wasm]`. Set `EA_TEST_BACKENDS=cpu` to narrow a local run.
 */
export function describeBackends(
  name: string,
  body: (backend: TestBackend) => void,
  options: { backends?: readonly TestBackend[] } = {},
): void {
  const fromEnv = process.env.EA_TEST_BACKENDS?.split(',').filter(Boolean) as TestBackend[] | undefined;
  const backends = options.backends ?? fromEnv ?? NODE_BACKENDS;
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await useBackend(backend);
      });
      body(backend);
    });
  }
}
