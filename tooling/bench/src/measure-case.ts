import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Bench } from 'tinybench';
import type { BenchCase } from './define-suite.js';
import { median } from './median.js';

/** What one case measured on one backend. */
export interface CaseMeasurement {
  suite: string;
  case: string;
  backend: string;
  params: Record<string, number | string>;
  status: 'ok' | 'skipped' | 'error';
  note?: string;
  iterations?: number;
  medianMs?: number;
  minMs?: number;
  gflops?: number;
  /** tf.profile peak bytes of one run (tensors alive at once, incl. inputs). */
  peakTensorBytes?: number;
  /** Peak resident set size of the process, MB (the case's own when isolated). */
  peakRssMb?: number;
}

function settle(result: tf.TensorContainer): void {
  const tensors: tf.Tensor[] = [];
  const walk = (x: unknown) => {
    if (x instanceof tf.Tensor) tensors.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') Object.values(x).forEach(walk);
  };
  walk(result);
  for (const t of tensors) t.dataSync();
  tf.dispose(tensors);
}

/** Runs one case: warm-up, timed iterations (tinybench, median), then one profiled run for peak bytes. */
export async function measureCase(
  suiteName: string,
  c: BenchCase,
  backend: string,
  iterations: number,
): Promise<CaseMeasurement> {
  const base = { suite: suiteName, case: c.name, backend, params: c.params };
  const skip = c.skip?.(backend);
  if (skip) return { ...base, status: 'skipped', note: skip };
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
    await tf.ready();
    const inputs = c.setup();
    const bench = new Bench({ iterations, time: 0, warmupIterations: 1, throws: true });
    bench.add(c.name, () => settle(c.run(inputs)));
    await bench.run();
    const task = bench.tasks[0]!;
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`benchmark ${r.state}`);
    const profile = await tf.profile(() => {
      settle(c.run(inputs));
    });
    tf.dispose(inputs);
    const medianMs = r.latency.p50;
    return {
      ...base,
      status: 'ok',
      iterations: r.latency.samplesCount ?? iterations,
      medianMs,
      minMs: r.latency.min,
      ...(c.flops ? { gflops: c.flops / (medianMs * 1e6) } : {}),
      peakTensorBytes: profile.peakBytes,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } catch (error) {
    return { ...base, status: 'error', note: (error as Error).message.split('\n')[0]!.slice(0, 160) };
  }
}

/** Medians of two cases timed alternately in one process (see `BenchRatio.interleaved`). */
export interface PairMeasurement {
  status: 'ok' | 'error';
  note?: string;
  numeratorMs?: number;
  denominatorMs?: number;
  rounds?: number;
}

/** Sets up both cases, warms each up once, then times `rounds` alternating runs of each. */
export async function measurePair(
  numerator: BenchCase,
  denominator: BenchCase,
  backend: string,
  rounds: number,
  batch = 1,
): Promise<PairMeasurement> {
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
    await tf.ready();
    const cases = [numerator, denominator];
    const inputs = cases.map((c) => c.setup());
    const times: number[][] = [[], []];
    for (let round = -1; round < rounds; round++) {
      for (const [i, c] of cases.entries()) {
        const started = performance.now();
        for (let call = 0; call < batch; call++) settle(c.run(inputs[i]!));
        if (round >= 0) times[i]!.push((performance.now() - started) / batch);
      }
    }
    tf.dispose(inputs);
    return { status: 'ok', numeratorMs: median(times[0]!), denominatorMs: median(times[1]!), rounds };
  } catch (error) {
    return { status: 'error', note: (error as Error).message.split('\n')[0]!.slice(0, 160) };
  }
}
