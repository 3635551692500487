/**
 * `pnpm experiments [--preset quick|full] [--only name,…] [--backend wasm|cpu] [--out dir]`
 *
 * Runs the experiments of the preset with a live progress bar, prints a comparison table, and writes
 * `results/<preset>/<experiment>.json` (every number with its config, seed, backend, machine and versions)
 * plus a markdown table beside it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { cac } from 'cac';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { attentionKernelSteps, type KernelRow, runAttentionKernels } from './attention-kernels.js';
import { getPreset } from './presets.js';

const EXPERIMENTS = ['attention-kernels'] as const;

const cli = cac('experiments');
cli
  .option('--preset <name>', 'quick (≤ 5 min on 2 cores) or full', { default: 'quick' })
  .option('--only <names>', `comma-separated subset of: ${EXPERIMENTS.join(', ')}`)
  .option('--backend <name>', 'tfjs backend: wasm or cpu', { default: 'wasm' })
  .option('--out <dir>', 'results folder', { default: 'results' })
  .help();
const { options } = cli.parse();
if (options.help) process.exit(0);

let preset: ReturnType<typeof getPreset>;
try {
  preset = getPreset(String(options.preset));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const only = options.only ? String(options.only).split(',') : [...EXPERIMENTS];
for (const name of only) {
  if (!(EXPERIMENTS as readonly string[]).includes(name)) {
    console.error(
      `experiments: --only must name experiments among ${EXPERIMENTS.join(', ')}; received "${name}".`,
    );
    process.exit(2);
  }
}
if (!['wasm', 'cpu'].includes(String(options.backend))) {
  console.error(`experiments: --backend must be wasm or cpu; received "${options.backend}".`);
  process.exit(2);
}
await tf.setBackend(String(options.backend));
await tf.ready();

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), String(options.out), preset.name);
mkdirSync(outDir, { recursive: true });
const meta = {
  preset,
  backend: tf.getBackend(),
  machine: { cpu: cpus()[0]?.model, logicalCores: cpus().length, node: process.version },
  versions: { tfjs: tf.version_core },
  date: new Date().toISOString(),
};

const fmt = (x: number | null, digits = 1) =>
  x === null ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(digits);

if (only.includes('attention-kernels')) {
  console.log(
    `attention-kernels: dense vs memory-efficient vs plain tfjs ops, H=${preset.heads}, d=${preset.headDim}, backend ${meta.backend}`,
  );
  const bar = new SingleBar({
    format: '  {bar} {value}/{total} {label} | ETA {eta_formatted}',
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 5000,
  });
  bar.start(attentionKernelSteps(preset), 0, { label: '' });
  const rows = await runAttentionKernels(preset, (label) => bar.increment({ label }));
  bar.stop();
  const table = new Table({
    head: ['implementation', 'N', 'median ms', 'GFLOP/s', 'speed-up vs plain', 'max |Δ| vs dense', 'note'],
    style: { head: [] },
  });
  const md = [
    '| implementation | N | median ms | GFLOP/s | speed-up vs plain tfjs ops | max abs diff vs dense |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const plain = rows.find((x) => x.n === r.n && x.implementation === 'plain tfjs ops')?.medianMs ?? null;
    const speedup = plain !== null && r.medianMs !== null ? `${(plain / r.medianMs).toFixed(1)}×` : '—';
    const diff = r.maxAbsDiffVsDense === null ? '—' : r.maxAbsDiffVsDense.toExponential(1);
    table.push([r.implementation, r.n, fmt(r.medianMs), fmt(r.gflops, 2), speedup, diff, r.error ?? '']);
    md.push(
      `| ${r.implementation} | ${r.n} | ${fmt(r.medianMs)} | ${fmt(r.gflops, 2)} | ${speedup} | ${diff} |`,
    );
  }
  console.log(table.toString());
  const file = join(outDir, 'attention-kernels.json');
  writeFileSync(
    file,
    `${JSON.stringify({ experiment: 'attention-kernels', ...meta, rows } satisfies Record<string, unknown> & { rows: KernelRow[] }, null, 2)}\n`,
  );
  writeFileSync(
    join(outDir, 'attention-kernels.md'),
    `${md.join('\n')}\n\nMachine: ${meta.machine.cpu}, ${meta.machine.logicalCores} cores, backend ${meta.backend}, ${meta.date}.\n`,
  );
  console.log(`wrote ${file} and attention-kernels.md`);
}
