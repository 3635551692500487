import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '@efficient-attention/core';
import { getPreset, type Preset } from './presets.js';

/** Every experiment the CLI runs, in run order (cheap, robust ones first). */
export const EXPERIMENT_NAMES = [
  'attention-kernels',
  'inference-scaling',
  'mqar',
  'length-extrapolation',
  'listops',
  'char-lm-bitnet',
] as const;
export type ExperimentName = (typeof EXPERIMENT_NAMES)[number];

/** What `--backend` accepts: `auto` lets `initBackend` pick (in Node: wasm, else cpu). */
export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
/** A backend the CLI runs on (what `auto` resolved to). */
export type Backend = Exclude<BackendChoice, 'auto'>;

/** The CLI's options after validation. */
export interface CliOptions {
  preset: Preset;
  only: ExperimentName[];
  /**
   * The backend asked for: `auto` (default) lets `initBackend` pick (in Node: wasm, else cpu); the run's
   * metadata records what it resolved to.
   */
  backend: BackendChoice;
  /** Results root; files go to `<out>/<preset>/`. */
  out: string;
  /**
   * Training runs in flight at once, each in its own single-threaded process (default: the machine's
   * available parallelism). Timed and memory-measured runs always run one at a time.
   */
  jobs: number;
}

const FN = 'experiments';

/**
 * Validates the raw options cac parsed. Every mistake throws an `InvalidArgumentError` whose message is
 * one sentence naming the option, what it accepts and what it received.
 */
export function parseCliOptions(raw: Record<string, unknown>): CliOptions {
  const known = ['preset', 'only', 'backend', 'out', 'jobs', 'help', 'h', '--'];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(FN, `--${key}`, 'not given: it is not an option (see --help)', raw[key]);
    }
  }
  const preset = getPreset(String(raw.preset ?? 'quick'));
  const only = raw.only === undefined ? [...EXPERIMENT_NAMES] : parseOnly(raw.only);
  const backend = String(raw.backend ?? 'auto');
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) {
    throw new InvalidArgumentError(FN, '--backend', `one of ${BACKEND_CHOICES.join(', ')}`, backend);
  }
  const out = raw.out === undefined ? 'results' : raw.out;
  if (typeof out !== 'string' || out.trim() === '') {
    throw new InvalidArgumentError(FN, '--out', 'a folder path', out);
  }
  const jobs = raw.jobs === undefined ? availableParallelism() : Number(raw.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    throw new InvalidArgumentError(FN, '--jobs', 'an integer from 1 to 64', raw.jobs);
  }
  return { preset, only, backend: backend as BackendChoice, out, jobs };
}

function parseOnly(value: unknown): ExperimentName[] {
  // cac gives an array when the option is repeated, a number-like value when a name looks numeric.
  const names = (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (names.length === 0) {
    throw new InvalidArgumentError(
      FN,
      '--only',
      `a comma-separated list of ${EXPERIMENT_NAMES.join(', ')}`,
      value,
    );
  }
  for (const name of names) {
    if (!(EXPERIMENT_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        FN,
        '--only',
        `experiment names among ${EXPERIMENT_NAMES.join(', ')}`,
        name,
      );
    }
  }
  // Keep run order, drop repeats.
  return EXPERIMENT_NAMES.filter((n) => names.includes(n));
}
