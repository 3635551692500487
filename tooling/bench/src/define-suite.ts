import type * as tf from '@tensorflow/tfjs-core';

/** One measured configuration. */
export interface BenchCase<Inputs extends tf.TensorContainer = tf.TensorContainer> {
  /** Unique within the suite, e.g. `dense N=2048`; ratios refer to cases by this name. */
  name: string;
  /** Shown as table columns and stored in the JSON, e.g. `{ N: 2048, H: 8, d: 64 }`. */
  params: Record<string, number | string>;
  /** Floating-point (or integer) operations of one run, for GFLOP/s (GOPS) in the table. */
  flops?: number;
  /** Creates the inputs (not timed); they are disposed after the case. */
  setup(): Inputs;
  /** The measured work; the harness waits for its result (`dataSync`) and disposes it. */
  run(inputs: Inputs): tf.TensorContainer;
  /** Timed iterations after one warm-up (default: the suite's). */
  iterations?: number;
  /** Skip this case on a backend, with the reason printed in the table (e.g. "dense does not fit at N=16384"). */
  skip?(backend: string): string | undefined;
}

/** A side-by-side ratio of two cases' median times, measured in the same run. */
export interface BenchRatio {
  name: string;
  numerator: string;
  denominator: string;
  /** A target, printed next to the ratio: e.g. `{ op: '<=', value: 4.5 }`. */
  target?: { op: '<=' | '>='; value: number };
  /**
   * Time the two cases alternately in one process (both inputs set up, one warm-up each, then rounds of
   * numerator and denominator), so that a shared machine's drift between processes — measured here at up to
   * ±30% between runs minutes apart — falls on both alike; the ratio is of those medians. The cases' own
   * rows (and peak memory) are still measured in fresh processes. Default `false`.
   */
  interleaved?: boolean;
  /** Timed rounds of an interleaved ratio (default: `--iterations`, else max(7, the suite's iterations)). */
  rounds?: number;
  /**
   * Calls per contender per round of an interleaved ratio, timed together (the sample is their mean; default
   * 1). For sub-millisecond cases, where one call's time is mostly timer resolution and cold caches.
   */
  batch?: number;
}

/** A benchmark suite: `packages/<pkg>/bench/<topic>.bench.ts` default-exports one. */
export interface BenchSuite {
  /** Table title and JSON file name, e.g. `core/attention`. */
  name: string;
  /** tfjs backends to run on (Node: `cpu`, `wasm`). */
  backends: string[];
  cases: BenchCase[];
  ratios?: BenchRatio[];
  /** Timed iterations per case after one warm-up. Default 5. */
  iterations?: number;
  /**
   * `'process'` (default): each case runs in a fresh Node process, so peak RSS is the case's own (the wasm
   * heap never shrinks). `'shared'`: all cases in one process (faster; memory column is then cumulative).
   */
  isolation?: 'process' | 'shared';
}

/**
 * Declares a benchmark suite (identity function that gives types).
 *
 * @example
 * ```ts
 * export default defineBenchSuite({
 *   name: 'core/attention', backends: ['wasm'],
 *   cases: [{ name: 'dense N=512', params: { N: 512 }, setup: () => tf.randomNormal([1, 8, 512, 64]),
 *             run: (q) => scaledDotProductAttention(q, q, q) }],
 * });
 * ```
 */
export function defineBenchSuite(suite: BenchSuite): BenchSuite {
  const names = new Set<string>();
  for (const c of suite.cases) {
    if (names.has(c.name)) throw new Error(`Bench suite "${suite.name}" has two cases named "${c.name}".`);
    names.add(c.name);
  }
  return suite;
}
