import { beforeAll, describe, expect, it } from 'vitest';
import { type BackendSetup, backendSetup, initExperimentBackend } from './experiment-backend.js';
import { describeExit, runInFreshProcess } from './fresh-process.js';
import type { InferenceJob, InferenceOutput } from './jobs.js';

// The CLI's side: cpu with the WebAssembly kernels, which the worker sets up again.
let setup: BackendSetup;
beforeAll(async () => {
  setup = backendSetup(await initExperimentBackend('cpu', { threads: 1 }));
  job.backend = setup;
});

const job: InferenceJob = {
  kind: 'inference',
  experiment: 'inference-scaling',
  runId: 'test',
  backend: { backend: 'cpu', kernelThreads: 0, kernels: {} },
  mechanism: 'dense',
  config: {},
  n: 32,
  heads: 2,
  headDim: 8,
  repeats: 2,
  seed: 1,
};

describe('runInFreshProcess', () => {
  it('measures a configuration in a child process: time, tf peak bytes, its own peak RSS', async () => {
    const out = await runInFreshProcess<InferenceOutput>(job, { timeoutSeconds: 120 });
    expect(out.status).toBe('ok');
    if (out.status !== 'ok') return;
    expect(out.timesMs).toHaveLength(2);
    expect(out.medianMs).toBeGreaterThan(0);
    // q, k, v and the output at least (the worker runs the fused kernel, which holds no 32×32 scores).
    expect(out.tfPeakBytes).toBeGreaterThanOrEqual(4 * 4 * 2 * 32 * 8);
    expect(out.peakRssBytes).toBeGreaterThan(20 * 1024 * 1024);
  });

  it('reports an error in the run as a failed outcome instead of throwing', async () => {
    const out = await runInFreshProcess({ ...job, mechanism: 'no-such-mechanism' }, { timeoutSeconds: 120 });
    expect(out).toMatchObject({ status: 'failed' });
    expect(out.status === 'failed' && out.reason).toMatch(/no-such-mechanism/);
  });

  it('fails a run whose worker cannot set up the CLI’s backend and kernels, naming the difference', async () => {
    const out = await runInFreshProcess(
      { ...job, backend: { ...setup, kernels: { ...setup.kernels, EARope: 'reference' } } },
      { timeoutSeconds: 120 },
    );
    expect(out).toMatchObject({
      status: 'failed',
      reason: "worker backend differs from the CLI's: cpu vs cpu; EARope kernel (CLI: reference)",
    });
  });

  it('kills a run that exceeds its time limit and says so', async () => {
    const out = await runInFreshProcess(job, { timeoutSeconds: 0.05 });
    expect(out).toMatchObject({ status: 'failed', reason: 'timed out after 0.05 s' });
  });
});

describe('describeExit', () => {
  it('recognises out-of-memory deaths and otherwise quotes the last error line', () => {
    expect(
      describeExit(
        134,
        null,
        'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
      ),
    ).toBe('out of memory');
    expect(describeExit(1, null, 'Error: boom\n    at x (y.js:1:1)\n')).toBe(
      'process exited with code 1: Error: boom',
    );
    expect(describeExit(null, 'SIGKILL', '')).toBe('process killed by SIGKILL');
  });
});
