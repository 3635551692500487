import { appendFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect } from 'vitest';
import { underflowAmbiguous } from './reference-attention.js';

/**
 * The fuzz harness of the `*.fuzz.test.ts` suites (issue 21): seeded fast-check runs whose count a knob
 * sets, and one contract every public entry point keeps on every generated case — either the property holds
 * or the call throws the package's typed error naming a parameter (`InvalidArgumentError` /
 * `IncompatibleOptionsError` of `@efficient-attention/core`); never a `TypeError`, a hang or a tensor leak.
 *
 * Knobs (environment):
 * - `FUZZ_RUNS`: runs per property (default: each property's own small count, so `pnpm test` stays fast);
 *   a property may weight it (`weight: 0.2` for a whole transformer per case).
 * - `FUZZ_SEED`: the base seed (default {@link DEFAULT_FUZZ_SEED}); each property offsets it by a hash of
 *   its name, so properties explore different sequences and a failure replays from its printed seed.
 * - `FUZZ_REPORT`: a file to append one JSON line per test file with its tallies (for long-run totals).
 */

/** The base seed when `FUZZ_SEED` is not set: fixed, so `pnpm test` is deterministic. */
export const DEFAULT_FUZZ_SEED = 2121;

/** A time box per case: a call that takes longer counts as a hang. */
export const DEFAULT_CASE_TIME_BOX_MS = 10_000;

function positiveIntegerFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, received "${raw}".`);
  return n;
}

/**
 * Runs per property: `FUZZ_RUNS` (times `weight`, at least 1) when set, else `defaultRuns`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arb, check), { numRuns: fuzzRuns(20), seed: fuzzSeed('sdpa') });
 * ```
 */
export function fuzzRuns(defaultRuns: number, options: { weight?: number } = {}): number {
  const fromEnv = positiveIntegerFromEnv('FUZZ_RUNS');
  if (fromEnv === undefined) return defaultRuns;
  return Math.max(1, Math.round(fromEnv * (options.weight ?? 1)));
}

/** The seed of one property: `FUZZ_SEED` (default {@link DEFAULT_FUZZ_SEED}) plus a hash of its name (no name: the base). */
export function fuzzSeed(property = ''): number {
  const base = positiveIntegerFromEnv('FUZZ_SEED') ?? DEFAULT_FUZZ_SEED;
  if (property === '') return base;
  let h = 0x811c9dc5;
  for (let i = 0; i < property.length; i++) h = Math.imul(h ^ property.charCodeAt(i), 0x01000193) >>> 0;
  return (base + h) | 0;
}

/** fast-check parameters for one property: `{ numRuns, seed }` from the knobs. */
export function fuzzParameters(
  property: string,
  defaultRuns: number,
  options: { weight?: number } = {},
): { numRuns: number; seed: number } {
  return { numRuns: fuzzRuns(defaultRuns, options), seed: fuzzSeed(property) };
}

/**
 * Whether `error` is a clear error in this library's sense: an `InvalidArgumentError` whose message names
 * its parameter, or an `IncompatibleOptionsError` whose sentence names an option (a backticked or dotted
 * name, or a camelCase identifier). Checked by name: test-utils sits below core.
 */
export function isClearError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'InvalidArgumentError') {
    const parameter = (error as Error & { parameter?: unknown }).parameter;
    return typeof parameter === 'string' && parameter.length > 0 && error.message.includes(parameter);
  }
  if (error.name === 'IncompatibleOptionsError') {
    return /`[^`]+`|\b(?:options|config|attrs)\.\w+|\b[a-z]+[A-Z]\w*/.test(error.message);
  }
  return false;
}

/** What one case did: the property held, or the call threw a clear error. */
export type ContractOutcome = 'held' | 'clear-error';

/** Counts of one property. */
export interface PropertyTally {
  tried: number;
  held: number;
  clearError: number;
}

/** Options of {@link expectContract}. */
export interface ContractOptions {
  /** The property's name, for the tally and messages. */
  property: string;
  /**
   * The case is invalid: it must throw a clear error (`true`), one whose message matches this pattern (a
   * RegExp: e.g. the parameter's name), and returning normally fails.
   */
  mustThrow?: boolean | RegExp;
  /** Longest a case may take (default {@link DEFAULT_CASE_TIME_BOX_MS}); longer counts as a hang. */
  timeBoxMs?: number;
  /** Where to count the case (default: uncounted). */
  report?: FuzzReport;
}

function fail(property: string, message: string, cause?: unknown): never {
  throw new Error(`[fuzz ${property}] ${message}`, cause === undefined ? undefined : { cause });
}

function checkError(error: unknown, options: ContractOptions): void {
  // An assertion of the property itself: report it as it is.
  if (error instanceof Error && error.name === 'AssertionError') throw error;
  if (!isClearError(error)) {
    const e = error as { name?: string; message?: string };
    fail(
      options.property,
      'expected the property to hold or a typed error naming a parameter (InvalidArgumentError / ' +
        `IncompatibleOptionsError), got ${e?.name ?? typeof error}: ${e?.message ?? String(error)}`,
      error,
    );
  }
  if (options.mustThrow instanceof RegExp && !options.mustThrow.test((error as Error).message)) {
    fail(
      options.property,
      `the error must match ${options.mustThrow}, got ${(error as Error).name}: ${(error as Error).message}`,
      error,
    );
  }
}

function checkAfter(options: ContractOptions, before: number, started: number, thrown?: unknown): void {
  const elapsed = performance.now() - started;
  const box = options.timeBoxMs ?? DEFAULT_CASE_TIME_BOX_MS;
  if (elapsed > box) {
    fail(options.property, `the case took ${elapsed.toFixed(0)} ms, over its ${box} ms time box (a hang)`);
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) {
    const why =
      thrown === undefined
        ? ''
        : ` by a call that threw ${(thrown as Error).name}: ${(thrown as Error).message}`;
    fail(options.property, `${leaked} tensor(s) leaked${why}`, thrown);
  }
}

/**
 * Runs one fuzz case under the contract: `run` computes the outputs, checks the property (with `expect`) and
 * disposes what it made (a returned tensor container is disposed too). The case passes when the property
 * holds, or when the call throws a clear error (see {@link isClearError}); it fails on any other error
 * (`TypeError`, a tfjs internal error), a failed property, a leak (`tf.memory().numTensors` changed) or a
 * case over its time box. With `mustThrow`, returning normally fails.
 *
 * @example
 * ```ts
 * expectContract(() => {
 *   const out = scaledDotProductAttention(q, k, v, options);
 *   expectCloseWithNaNs(out.dataSync(), reference.output);
 *   out.dispose();
 * }, { property: 'sdpa = float64 reference', report });
 * ```
 */
export function expectContract(run: () => unknown, options: ContractOptions): ContractOutcome {
  const before = tf.memory().numTensors;
  const started = performance.now();
  let outcome: ContractOutcome;
  try {
    const result = run();
    if (result !== undefined) tf.dispose(result as tf.TensorContainer);
    outcome = 'held';
  } catch (error) {
    checkError(error, options);
    checkAfter(options, before, started, error);
    options.report?.count(options.property, 'clear-error');
    return 'clear-error';
  }
  if (options.mustThrow) {
    fail(options.property, 'expected a typed error naming a parameter, but the call returned normally');
  }
  checkAfter(options, before, started);
  options.report?.count(options.property, outcome);
  return outcome;
}

/** {@link expectContract} for asynchronous calls (`initBackend`, `save`, `loadModel`): a real time box. */
export async function expectContractAsync(
  run: () => Promise<unknown>,
  options: ContractOptions,
): Promise<ContractOutcome> {
  const before = tf.memory().numTensors;
  const started = performance.now();
  const box = options.timeBoxMs ?? DEFAULT_CASE_TIME_BOX_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`[fuzz ${options.property}] no answer within its ${box} ms time box (a hang)`)),
      box,
    );
  });
  try {
    const result = await Promise.race([run(), hang]);
    if (result !== undefined) tf.dispose(result as tf.TensorContainer);
  } catch (error) {
    if (error instanceof Error && error.message.includes('time box (a hang)')) throw error;
    checkError(error, options);
    checkAfter(options, before, started, error);
    options.report?.count(options.property, 'clear-error');
    return 'clear-error';
  } finally {
    clearTimeout(timer);
  }
  if (options.mustThrow) {
    fail(options.property, 'expected a typed error naming a parameter, but the call returned normally');
  }
  checkAfter(options, before, started);
  options.report?.count(options.property, 'held');
  return 'held';
}

/** Tallies of one fuzz test file, printed as one line when the file's tests end. */
export interface FuzzReport {
  /** The file's label, e.g. `core`. */
  readonly name: string;
  count(property: string, outcome: ContractOutcome): void;
  /** Per property, in first-seen order. */
  tallies(): ReadonlyMap<string, PropertyTally>;
  /** `fuzz core: 412 tried, 301 held, 111 clear-error (seed 2121) | sdpa 40/30/10 | …`. */
  summary(): string;
}

/**
 * Creates the report of one fuzz test file and prints its summary line after the file's tests (and appends
 * a JSON line to `FUZZ_REPORT` when set).
 *
 * @example
 * ```ts
 * const report = createFuzzReport('core');
 * expectContract(run, { property: 'sdpa', report });
 * ```
 */
export function createFuzzReport(name: string): FuzzReport {
  const byProperty = new Map<string, PropertyTally>();
  const report: FuzzReport = {
    name,
    count(property, outcome) {
      let t = byProperty.get(property);
      if (t === undefined) {
        t = { tried: 0, held: 0, clearError: 0 };
        byProperty.set(property, t);
      }
      t.tried++;
      if (outcome === 'held') t.held++;
      else t.clearError++;
    },
    tallies: () => byProperty,
    summary() {
      let tried = 0;
      let held = 0;
      let clear = 0;
      const parts: string[] = [];
      for (const [property, t] of byProperty) {
        tried += t.tried;
        held += t.held;
        clear += t.clearError;
        parts.push(`${property} ${t.tried}/${t.held}/${t.clearError}`);
      }
      const runs = process.env.FUZZ_RUNS ? `FUZZ_RUNS ${process.env.FUZZ_RUNS}, ` : '';
      return (
        `fuzz ${name}: ${tried} tried, ${held} held, ${clear} clear-error (${runs}seed ${fuzzSeed()}) | ` +
        `${parts.join(' | ')} (tried/held/clear-error)`
      );
    },
  };
  afterAll(() => {
    console.log(report.summary());
    const file = process.env.FUZZ_REPORT;
    if (file) {
      const properties = Object.fromEntries(byProperty);
      appendFileSync(file, `${JSON.stringify({ name, properties })}\n`);
    }
  });
  return report;
}

/**
 * Asserts `actual` matches a float64 `expected` under the NaN rule: NaN exactly where `expected` is NaN
 * (never a silent 0, never a NaN the reference does not have), ±∞ where it is ±∞, and finite values within
 * `atol + rtol·|expected|`.
 *
 * @example
 * ```ts
 * expectCloseWithNaNs(out.dataSync(), referenceAttention(inputs).output, { atol: 5e-5, rtol: 5e-4 });
 * ```
 */
export function expectCloseWithNaNs(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: { atol?: number; rtol?: number } = {},
  what = 'output',
): void {
  const atol = tolerance.atol ?? 5e-5;
  const rtol = tolerance.rtol ?? 5e-4;
  expect(actual.length, `${what}: element counts differ`).toBe(expected.length);
  // Elements the float64 reference marked as depending on float32 underflow (tiny weight · ∞): NaN or the
  // reference's ±∞ are both right (see `underflowAmbiguous`).
  const ambiguous = underflowAmbiguous.get(expected);
  for (let i = 0; i < expected.length; i++) {
    const e = Number(expected[i]);
    const a = Number(actual[i]);
    if (ambiguous?.[i] === 1 && (Number.isNaN(a) || a === e)) continue;
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) expect.fail(`${what}: element ${i} is ${a}, the reference has NaN there`);
    } else if (!Number.isFinite(e)) {
      if (a !== e) expect.fail(`${what}: element ${i} is ${a}, the reference has ${e}`);
    } else if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(
        `${what}: element ${i} is ${a}, the reference has ${e} (atol ${atol}, rtol ${rtol}; ` +
          `${expected.length} elements)`,
      );
    }
  }
}

/** Asserts every element is finite (no NaN, no ±∞). */
export function expectAllFinite(values: ArrayLike<number>, what = 'output'): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) expect.fail(`${what}: element ${i} is ${values[i]}, expected finite`);
  }
}
