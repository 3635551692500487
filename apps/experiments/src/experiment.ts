import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentName } from './cli-options.js';
import type { BackendSetup } from './experiment-backend.js';
import type { Preset } from './presets.js';
import type { ProgressDisplay } from './progress-display.js';
import type { ResultsTable } from './results-table.js';

/** What an experiment gets to run with. */
export interface ExperimentContext {
  preset: Preset;
  /** The backend the CLI chose (`--backend`, resolved by `initBackend`) and its kernels; workers replay it. */
  backend: BackendSetup;
  /** `results/<preset>/`. */
  outDir: string;
  progress: ProgressDisplay;
  /** Training runs in flight at once (`--jobs`); timed runs ignore it and run one at a time. */
  jobs: number;
}

/** A model saved for the playground, listed in `models/index.json`. */
export interface ExportedModel {
  /** `dense`, `sparse`, `adaptive`, `linear`, `low-rank`, `bitnet`… (folder name under `models/`). */
  family: string;
  experiment: ExperimentName;
  variant: string;
  mechanism: string;
  task: 'causal-lm' | 'classifier';
  /** Folder of `model.json` + `weights.bin`, relative to `results/<preset>/`. */
  path: string;
  files: string[];
  /** How to turn input into token ids (and back). */
  tokenizer: Record<string, unknown>;
  /** A held-out input the playground can feed as is. */
  exampleTokens: number[];
  metrics: Record<string, number | null>;
}

/** One row of the cross-experiment summary printed at the end. */
export interface HeadlineRow {
  variant: string;
  metric: string;
  value: string;
  status: string;
}

/** Everything an experiment produced; the CLI writes it to JSON, markdown and SVG. */
export interface ExperimentReport {
  experiment: ExperimentName;
  description: string;
  /** The preset section the experiment ran with. */
  config: unknown;
  /** Every run with its config, seed and outcome (raw numbers). */
  runs: unknown[];
  /** Typed rows and their columns; the results writer formats them (markdown, JSON, terminal). */
  table: ResultsTable;
  /** How to read the table; what separates and what does not. */
  notes: string[];
  plots: { file: string; spec: TopLevelSpec }[];
  models: ExportedModel[];
  headline: HeadlineRow[];
}

export interface Experiment {
  name: ExperimentName;
  description: string;
  /** Number of runs (progress bars) the preset makes this experiment do. */
  runCount(preset: Preset): number;
  run(context: ExperimentContext): Promise<ExperimentReport>;
}
