/**
 * Fresh-process entry of every measured run: receives one {@link Job} over IPC, runs it, sends progress and
 * one final `done` / `failed` message, and exits. Spawned by `runInFreshProcess`.
 */
import { initWorkerBackend } from './experiment-backend.js';
import { measureInference } from './inference-measure.js';
import type { Job, WorkerMessage } from './jobs.js';
import { trainAndEvaluate } from './train-and-evaluate.js';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

process.once('message', async (job: Job) => {
  try {
    // The CLI's backend with the same kernels (initBackend), checked against the CLI's capability report.
    await initWorkerBackend(job.backend);
    const output =
      job.kind === 'inference'
        ? await measureInference(job)
        : await trainAndEvaluate(job, (step, total, loss) => {
            process.send!({ type: 'progress', step, total, loss } satisfies WorkerMessage);
          });
    await send({ type: 'done', output });
  } catch (error) {
    const e = error as Error;
    const reason = e instanceof RangeError && /allocat|memory/i.test(e.message) ? 'out of memory' : e.message;
    await send({ type: 'failed', reason });
  }
  process.disconnect();
  process.exit(0);
});
