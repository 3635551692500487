/**
 * `pnpm experiments [--preset quick|full] [--only name,…] [--backend auto|wasm|cpu|webgpu] [--out dir]`
 *
 * Sets up the backend with `initBackend` of `@efficient-attention/backends` (fast kernels registered),
 * prints it and its capability report, and stores both in every result's metadata; every worker process
 * sets up the same backend and kernels.
 *
 * Runs the preset's experiments — every training and every timed configuration in a fresh process — with
 * a live progress display, prints the comparison tables, and writes `results/<preset>/`: per experiment a
 * JSON file (every number with its config, seed, backend, machine, versions and git commit), a markdown
 * table and SVG plots; `index.json`, `summary.md`, and the exported models under `models/`.
 */
import { resolve } from 'node:path';
import { cac } from 'cac';
import Table from 'cli-table3';
import { describeCapabilities } from './capability-summary.js';
import { BACKEND_CHOICES, type CliOptions, EXPERIMENT_NAMES, parseCliOptions } from './cli-options.js';
import type { ExperimentReport, ExportedModel, HeadlineRow } from './experiment.js';
import { type BackendSetup, backendSetup, initExperimentBackend } from './experiment-backend.js';
import { EXPERIMENTS } from './experiments/index.js';
import { validatePreset } from './presets.js';
import { ProgressDisplay } from './progress-display.js';
import { tableCells } from './results-table.js';
import { type IndexEntry, writeExperiment, writeIndexes, writeSummary } from './results-writer.js';
import { collectRunMetadata } from './run-metadata.js';

const cli = cac('experiments');
cli
  .option('--preset <name>', 'quick (≤ 5 min on 2 cores) or full', { default: 'quick' })
  .option('--only <names>', `comma-separated subset of: ${EXPERIMENT_NAMES.join(', ')}`)
  .option(
    '--backend <name>',
    `${BACKEND_CHOICES.join(' | ')}: auto lets initBackend pick (Node: wasm, else cpu); webgpu runs on Dawn`,
    { default: 'auto' },
  )
  .option('--out <dir>', 'results folder (files go to <dir>/<preset>/)', { default: 'results' })
  .option('--jobs <n>', 'training runs in parallel, one process each (default: available cores)')
  .help();
const parsed = cli.parse();
if (parsed.options.help) process.exit(0);

let options: CliOptions;
try {
  options = parseCliOptions(parsed.options);
  validatePreset(options.preset);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const { preset, only, jobs } = options;
let setup: BackendSetup;
let meta: ReturnType<typeof collectRunMetadata>;
try {
  const report = await initExperimentBackend(options.backend);
  setup = backendSetup(report);
  meta = collectRunMetadata(options.backend, report);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const backend = setup.backend;

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), options.out, preset.name);
const started = performance.now();
console.log(
  `experiments: preset ${preset.name}, backend ${backend}, ${only.join(', ')} → ${outDir}\n` +
    `machine: ${meta.machine.cpu}, ${meta.machine.logicalCores} cores, load ${meta.machine.loadAverage.join(' / ')}; ` +
    `${jobs} training run${jobs === 1 ? '' : 's'} at a time\n` +
    describeCapabilities(options.backend, meta.capabilities.report)
      .map((line) => `  ${line}`)
      .join('\n'),
);

const progress = new ProgressDisplay(only.reduce((s, name) => s + EXPERIMENTS[name].runCount(preset), 0));
const reports: ExperimentReport[] = [];
const entries: IndexEntry[] = [];
const models: ExportedModel[] = [];
/** Rows of experiments that crashed (their runs' failures are rows of their own tables). */
const crashed: (HeadlineRow & { experiment: string })[] = [];
for (const name of only) {
  const experimentStarted = performance.now();
  try {
    const report = await EXPERIMENTS[name].run({ preset, backend: setup, outDir, progress, jobs });
    const seconds = (performance.now() - experimentStarted) / 1000;
    entries.push(
      await writeExperiment(
        outDir,
        report,
        { preset: preset.name, backend, seed: preset.seed, meta },
        seconds,
      ),
    );
    reports.push(report);
    models.push(...report.models);
    progress.log(
      `${name}: done in ${seconds.toFixed(0)} s, wrote ${name}.json, ${name}.md, ${report.plots.length} plots`,
    );
  } catch (error) {
    // Runs fail inside experiments without throwing; this is a bug in the experiment itself. Report it and go on.
    const reason = (error as Error).stack ?? String(error);
    progress.log(`${name}: the experiment itself failed: ${reason}`);
    crashed.push({
      experiment: name,
      variant: '—',
      metric: '—',
      value: '—',
      status: `failed: ${(error as Error).message}`,
    });
  }
}
progress.stop();
writeIndexes(outDir, preset.name, entries, models, EXPERIMENT_NAMES);

for (const report of reports) {
  const cells = tableCells(report.table);
  const table = new Table({ head: cells.head, style: { head: [] }, wordWrap: true });
  table.push(...cells.rows);
  console.log(`\n${report.experiment}: ${report.description}\n${table.toString()}`);
  for (const note of report.notes) console.log(`  · ${note}`);
}
const totalSeconds = (performance.now() - started) / 1000;
// summary.md covers every experiment of the preset in index.json: an --only run keeps the others' rows.
const summaryRows = writeSummary(
  outDir,
  preset.name,
  EXPERIMENT_NAMES,
  crashed,
  `Last run: ${only.join(', ')} in ${totalSeconds.toFixed(0)} s wall clock on ${meta.machine.cpu} (${meta.machine.logicalCores} cores, load ${meta.machine.loadAverage.join(' / ')} at start), backend ${backend}, ${meta.date}. Details per experiment in its .md and .json.`,
);
const summary = new Table({
  head: ['experiment', 'variant', 'metric', 'value', 'status'],
  style: { head: [] },
});
summary.push(...summaryRows.map((h) => [h.experiment, h.variant, h.metric, h.value, h.status]));
console.log(
  `\nComparison (preset ${preset.name}, this run ${totalSeconds.toFixed(0)} s wall clock):\n${summary.toString()}`,
);
console.log(
  `\nwrote ${outDir}/ (index.json, summary.md, ${entries.length} experiments) in ${totalSeconds.toFixed(0)} s`,
);
