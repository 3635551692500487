import { describe, expect, it } from 'vitest';
import { describeExit, runInFreshProcess } from './fresh-process.js';
import type { InferenceJob, InferenceOutput } from './jobs.js';

const job: InferenceJob = {
  kind: 'inference',
  experiment: 'inference-scaling',
  runId: 'test',
  backend: 'cpu',
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
    // q, k, v and the 32×32 score planes of 2 heads at least.
    expect(out.tfPeakBytes).toBeGreaterThanOrEqual(4 * (3 * 2 * 32 * 8 + 2 * 32 * 32));
    expect(out.peakRssBytes).toBeGreaterThan(20 * 1024 * 1024);
  });

  it('reports an error in the run as a failed outcome instead of throwing', async () => {
    const out = await runInFreshProcess({ ...job, mechanism: 'no-such-mechanism' }, { timeoutSeconds: 120 });
    expect(out).toMatchObject({ status: 'failed' });
    expect(out.status === 'failed' && out.reason).toMatch(/no-such-mechanism/);
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
