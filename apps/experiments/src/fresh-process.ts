import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { InferenceOutput, Job, RunOutcome, TrainOutput, WorkerMessage } from './jobs.js';

/** The worker entry point every job runs in. */
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/**
 * Node flags of the child: run TypeScript through tsx (resolved from this package, so it works whatever the
 * current directory) and resolve workspace packages to their source.
 */
const EXEC_ARGV = [
  '--import',
  pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
  '--conditions=@efficient-attention/source',
];

/** Last characters of the child's stderr kept for the failure reason. */
const STDERR_TAIL = 4000;

export interface FreshProcessOptions {
  /** The run is killed and reported failed after this long. */
  timeoutSeconds: number;
  onProgress?: (step: number, total: number, loss: number) => void;
}

/** Turns a dead child's exit into a short reason, recognising the usual out-of-memory messages. */
export function describeExit(code: number | null, signal: string | null, stderr: string): string {
  if (
    /heap out of memory|Array buffer allocation failed|Out of memory|memory access out of bounds|Aborted\(OOM\)/i.test(
      stderr,
    )
  ) {
    return 'out of memory';
  }
  const lastLine = stderr
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('    at '))
    .at(-1);
  const how = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
  return lastLine ? `process ${how}: ${lastLine.trim().slice(0, 200)}` : `process ${how}`;
}

/**
 * Runs one job in a fresh Node process (so its peak RSS is its own; the wasm heap never shrinks) and
 * returns its outcome. Never throws for a failed run: a thrown error, a NaN loss, an out-of-memory crash or
 * a timeout become `{ status: 'failed', reason }`, so the other runs go on.
 */
export function runInFreshProcess<T extends TrainOutput | InferenceOutput>(
  job: Job,
  options: FreshProcessOptions,
): Promise<RunOutcome<T>> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  return new Promise((resolve) => {
    const child = fork(WORKER, [], {
      execArgv: EXEC_ARGV,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    let settled = false;
    const finish = (outcome: RunOutcome<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      finish({
        status: 'failed',
        reason: `timed out after ${options.timeoutSeconds} s`,
        wallSeconds: seconds(),
      });
      child.kill('SIGKILL');
    }, options.timeoutSeconds * 1000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL);
    });
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') options.onProgress?.(message.step, message.total, message.loss);
      else if (message.type === 'done') finish({ status: 'ok', ...(message.output as T) });
      else finish({ status: 'failed', reason: message.reason, wallSeconds: seconds() });
    });
    child.on('error', (error) => finish({ status: 'failed', reason: error.message, wallSeconds: seconds() }));
    child.on('exit', (code, signal) =>
      finish({ status: 'failed', reason: describeExit(code, signal, stderr), wallSeconds: seconds() }),
    );
    child.send(job);
  });
}
