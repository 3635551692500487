import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendPhrase } from './capability-summary.js';
import type { ExperimentReport, ExportedModel, HeadlineRow } from './experiment.js';
import { markdownTable } from './markdown-table.js';
import { renderSvg } from './plots.js';
import { tableCells } from './results-table.js';
import type { RunMetadata } from './run-metadata.js';

/** Context stored with every results file. */
export interface ResultsContext {
  preset: string;
  /** The backend the run used (what `--backend` resolved to; `meta.capabilities` has the full report). */
  backend: string;
  seed: number;
  meta: RunMetadata;
}

/** One experiment's entry in `results/<preset>/index.json` (the docs site reads it). */
export interface IndexEntry {
  experiment: string;
  description: string;
  json: string;
  markdown: string;
  plots: string[];
  /** The command that reproduces this experiment's files. */
  command: string;
  wallSeconds: number;
  date: string;
}

/**
 * The command that reproduces one experiment of a preset. It names the backend the run used, not `auto`,
 * whose pick depends on the machine.
 */
export function reproduceCommand(preset: string, experiment: string, backend: string): string {
  return `pnpm experiments --preset ${preset} --only ${experiment} --backend ${backend}`;
}

/** The markdown page of an experiment: title, description, table, notes, plots, provenance. */
export function experimentMarkdown(
  report: ExperimentReport,
  context: ResultsContext,
  wallSeconds: number,
): string {
  const { machine, versions, git } = context.meta;
  const caps = context.meta.capabilities.report;
  const table = tableCells(report.table);
  return [
    `# ${report.experiment} (${context.preset})`,
    '',
    report.description,
    '',
    markdownTable(table.head, table.rows),
    '',
    ...report.notes.map((n) => `- ${n}`),
    '',
    ...report.plots.map((p) => `![${p.file}](${p.file})`),
    '',
    `Reproduce: \`${reproduceCommand(context.preset, report.experiment, context.backend)}\` (seed ${context.seed}). ` +
      `Took ${wallSeconds.toFixed(0)} s on ${machine.cpu}, ${machine.logicalCores} cores, load ${machine.loadAverage.join(' / ')}, ` +
      `backend ${backendPhrase({ backend: caps.backend, kernels: caps.kernels, kernelThreads: caps.wasm.kernelThreads })}, Node ${versions.node}, tfjs ${versions.tfjs}, commit ${git.commit?.slice(0, 10) ?? 'unknown'}${git.dirty ? ' (uncommitted changes)' : ''}, ${context.meta.date}.`,
    '',
  ].join('\n');
}

/**
 * Writes `<experiment>.json` (every run with config, seed, outcome, plus preset, backend, machine, versions
 * and git commit), `<experiment>.md` and the SVG plots into `outDir`, and returns its index entry.
 */
export async function writeExperiment(
  outDir: string,
  report: ExperimentReport,
  context: ResultsContext,
  wallSeconds: number,
): Promise<IndexEntry> {
  mkdirSync(outDir, { recursive: true });
  const json = `${report.experiment}.json`;
  const markdown = `${report.experiment}.md`;
  const command = reproduceCommand(context.preset, report.experiment, context.backend);
  writeFileSync(
    join(outDir, json),
    `${JSON.stringify(
      {
        experiment: report.experiment,
        description: report.description,
        preset: context.preset,
        backend: context.backend,
        seed: context.seed,
        command,
        wallSeconds,
        ...context.meta,
        config: report.config,
        table: tableCells(report.table),
        notes: report.notes,
        headline: report.headline,
        runs: report.runs,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(outDir, markdown), experimentMarkdown(report, context, wallSeconds));
  for (const plot of report.plots) writeFileSync(join(outDir, plot.file), await renderSvg(plot.spec));
  return {
    experiment: report.experiment,
    description: report.description,
    json,
    markdown,
    plots: report.plots.map((p) => p.file),
    command,
    wallSeconds,
    date: context.meta.date,
  };
}

function readJson<T>(file: string, fallback: T): T {
  if (!existsSync(file)) return fallback;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/**
 * Updates `index.json` (experiments with their files and commands) and `models/index.json` (exported
 * models): entries of this run replace those of earlier runs with the same name, others are kept, so
 * `--only` runs add to a preset's results instead of erasing them.
 */
export function writeIndexes(
  outDir: string,
  preset: string,
  entries: readonly IndexEntry[],
  models: readonly ExportedModel[],
  order: readonly string[],
): void {
  const indexFile = join(outDir, 'index.json');
  const previous = readJson<{ experiments?: IndexEntry[] }>(indexFile, {}).experiments ?? [];
  const merged = new Map(previous.map((e) => [e.experiment, e]));
  for (const e of entries) merged.set(e.experiment, e);
  const experiments = [...merged.values()].sort(
    (a, b) => order.indexOf(a.experiment) - order.indexOf(b.experiment),
  );
  writeFileSync(
    indexFile,
    `${JSON.stringify(
      {
        preset,
        command: `pnpm experiments --preset ${preset}`,
        summary: 'summary.md',
        models: 'models/index.json',
        experiments,
      },
      null,
      2,
    )}\n`,
  );
  if (models.length === 0) return;
  const modelsFile = join(outDir, 'models', 'index.json');
  mkdirSync(join(outDir, 'models'), { recursive: true });
  const previousModels = readJson<{ models?: ExportedModel[] }>(modelsFile, {}).models ?? [];
  const byFamily = new Map(previousModels.map((m) => [m.family, m]));
  for (const m of models) byFamily.set(m.family, m);
  writeFileSync(
    modelsFile,
    `${JSON.stringify(
      {
        preset,
        note: 'One small trained model per family; load with loadModel(fileSystemIO(dir)) or loadModel(url) from @efficient-attention/transformer.',
        models: [...byFamily.values()].sort((a, b) => a.family.localeCompare(b.family)),
      },
      null,
      2,
    )}\n`,
  );
}

/**
 * Writes `summary.md`: the headline rows of every experiment in `index.json` (each read from its JSON), in
 * `order`, with each experiment's run time, so that an `--only` run updates its rows and keeps the others;
 * `crashed` adds rows for experiments of this run that threw (they have no JSON). Returns the rows.
 *
 * @example
 * ```ts
 * writeSummary('results/full', 'full', EXPERIMENT_NAMES, [], 'Last run: mqar in 95 s on …');
 * ```
 */
export function writeSummary(
  outDir: string,
  preset: string,
  order: readonly string[],
  crashed: ReadonlyArray<HeadlineRow & { experiment: string }>,
  runLine: string,
): Array<HeadlineRow & { experiment: string }> {
  const index = readJson<{ experiments?: IndexEntry[] }>(join(outDir, 'index.json'), {});
  const entries = [...(index.experiments ?? [])].sort(
    (a, b) => order.indexOf(a.experiment) - order.indexOf(b.experiment),
  );
  const rows: Array<HeadlineRow & { experiment: string }> = [];
  const times: string[] = [];
  for (const entry of entries) {
    const json = readJson<{ headline?: HeadlineRow[] }>(join(outDir, entry.json), {});
    rows.push(...(json.headline ?? []).map((h) => ({ experiment: entry.experiment, ...h })));
    times.push(
      `${entry.experiment} ${entry.wallSeconds.toFixed(0)} s (${entry.date.slice(0, 16).replace('T', ' ')})`,
    );
  }
  rows.push(...crashed);
  const total = entries.reduce((sum, e) => sum + e.wallSeconds, 0);
  writeFileSync(
    join(outDir, 'summary.md'),
    [
      `# Experiments: ${preset} preset`,
      '',
      markdownTable(
        ['experiment', 'variant', 'metric', 'value', 'status'],
        rows.map((h) => [h.experiment, h.variant, h.metric, h.value, h.status]),
      ),
      '',
      runLine,
      '',
      `Run time per experiment (wall clock, when it last ran): ${times.join('; ')}; ${total.toFixed(0)} s in all.`,
      '',
    ].join('\n'),
  );
  return rows;
}
