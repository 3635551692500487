import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentReport, ExportedModel } from './experiment.js';
import { markdownTable } from './markdown-table.js';
import { renderSvg } from './plots.js';
import type { RunMetadata } from './run-metadata.js';

/** Context stored with every results file. */
export interface ResultsContext {
  preset: string;
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

/** The command that reproduces one experiment of a preset. */
export function reproduceCommand(preset: string, experiment: string, backend: string): string {
  return `pnpm experiments --preset ${preset} --only ${experiment}${backend === 'wasm' ? '' : ` --backend ${backend}`}`;
}

/** The markdown page of an experiment: title, description, table, notes, plots, provenance. */
export function experimentMarkdown(
  report: ExperimentReport,
  context: ResultsContext,
  wallSeconds: number,
): string {
  const { machine, versions, git } = context.meta;
  return [
    `# ${report.experiment} (${context.preset})`,
    '',
    report.description,
    '',
    markdownTable(report.table.head, report.table.rows),
    '',
    ...report.notes.map((n) => `- ${n}`),
    '',
    ...report.plots.map((p) => `![${p.file}](${p.file})`),
    '',
    `Reproduce: \`${reproduceCommand(context.preset, report.experiment, context.backend)}\` (seed ${context.seed}). ` +
      `Took ${wallSeconds.toFixed(0)} s on ${machine.cpu}, ${machine.logicalCores} cores, load ${machine.loadAverage.join(' / ')}, ` +
      `backend ${context.backend}, Node ${versions.node}, tfjs ${versions.tfjs}, commit ${git.commit?.slice(0, 10) ?? 'unknown'}${git.dirty ? ' (uncommitted changes)' : ''}, ${context.meta.date}.`,
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
        table: report.table,
        notes: report.notes,
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
