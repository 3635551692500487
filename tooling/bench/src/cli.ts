/**
 * `pnpm bench [--filter text] [--iterations n] [--backend wasm] [--shared]`: discovers
 * `packages/*\/bench/*.bench.ts`, runs every case (a fresh process per case unless the suite or `--shared`
 * says otherwise), prints a table per suite plus the declared ratios, and writes `bench-results/<suite>.json`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cac } from 'cac';
import Table from 'cli-table3';
import type { BenchRatio, BenchSuite } from './define-suite.js';
import { machineInfo } from './machine.js';
import { type CaseMeasurement, measureCase, type PairMeasurement } from './measure-case.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

const cli = cac('bench');
cli
  .option('--filter <text>', 'only suites or cases whose name contains this text')
  .option('--iterations <n>', 'timed iterations per case (default: the suite’s, else 5)')
  .option('--backend <name>', 'only this backend')
  .option('--shared', 'run all cases of a suite in this process (faster; memory columns become cumulative)')
  .option('--out <dir>', 'where to write JSON', { default: 'bench-results' })
  .help();
// `pnpm bench -- --filter x` forwards a literal `--`; drop it so the options after it are parsed.
const argv = process.argv.filter((a, i) => !(a === '--' && i === 2));
const { options } = cli.parse(argv);
if (options.help) process.exit(0);

function discover(): string[] {
  const files: string[] = [];
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', pkg, 'bench');
    try {
      for (const f of readdirSync(dir)) if (f.endsWith('.bench.ts')) files.push(join(dir, f));
    } catch {
      // no bench folder
    }
  }
  return files.sort();
}

/** Runs a child entry (`run-case.ts` or `run-pair.ts`) in a fresh process and parses its `@@RESULT@@` line. */
function runChild<T>(entry: string, args: string[], onError: (reason: string) => T): Promise<T> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@efficient-attention/source', '--import', 'tsx', join(here, entry), ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('@@RESULT@@'));
      if (line) return resolvePromise(JSON.parse(line.slice('@@RESULT@@'.length)) as T);
      const reason = /out of memory|Aborted|heap/i.test(err)
        ? 'out of memory'
        : (err.trim().split('\n').pop() ?? `exit ${code}`);
      resolvePromise(onError(reason.slice(0, 160)));
    });
  });
}

function runIsolated(
  file: string,
  caseName: string,
  backend: string,
  iterations: number,
): Promise<CaseMeasurement> {
  return runChild<CaseMeasurement>('run-case.ts', [file, caseName, backend, String(iterations)], (note) => ({
    suite: '',
    case: caseName,
    backend,
    params: {},
    status: 'error',
    note,
  }));
}

function runPair(file: string, ratio: BenchRatio, backend: string, rounds: number): Promise<PairMeasurement> {
  return runChild<PairMeasurement>(
    'run-pair.ts',
    [file, ratio.numerator, ratio.denominator, backend, String(rounds), String(ratio.batch ?? 1)],
    (note) => ({ status: 'error', note }),
  );
}

const fmt = (x: number | undefined, digits = 1) =>
  x === undefined ? '' : x >= 100 ? x.toFixed(0) : x.toFixed(digits);

const filter = options.filter as string | undefined;
const outDir = resolve(root, options.out as string);
mkdirSync(outDir, { recursive: true });
const machine = machineInfo();
console.log(
  `Machine: ${machine.cpu}, ${machine.logicalCores} logical cores, ${machine.memoryGb} GB, Node ${machine.node}, tfjs ${machine.tfjs}`,
);
console.log(
  'Times are medians after one warm-up; compare ratios measured in the same run, not absolute times across runs.\n',
);

for (const file of discover()) {
  const suite = (await import(pathToFileURL(file).href)).default as BenchSuite;
  const cases = suite.cases.filter((c) => !filter || suite.name.includes(filter) || c.name.includes(filter));
  if (cases.length === 0) continue;
  const backends = suite.backends.filter((b) => !options.backend || b === options.backend);
  const iterations = Number(options.iterations ?? suite.iterations ?? 5);
  const isolated = !options.shared && (suite.isolation ?? 'process') === 'process';
  const results: CaseMeasurement[] = [];
  const paramKeys = [...new Set(cases.flatMap((c) => Object.keys(c.params)))];
  for (const backend of backends) {
    for (const c of cases) {
      process.stdout.write(`  ${suite.name} · ${c.name} · ${backend} … `);
      // --iterations overrides everything; else the case's own count, else the suite's.
      const caseIterations = Number(options.iterations ?? c.iterations ?? iterations);
      const m = isolated
        ? await runIsolated(file, c.name, backend, caseIterations)
        : await measureCase(suite.name, c, backend, caseIterations);
      const full = { ...m, suite: suite.name, params: c.params };
      results.push(full);
      process.stdout.write(m.status === 'ok' ? `${fmt(m.medianMs)} ms\n` : `${m.status}: ${m.note}\n`);
    }
  }
  const table = new Table({
    head: ['case', ...paramKeys, 'backend', 'median ms', 'GFLOP/s', 'peak tensors MB', 'peak RSS MB', 'note'],
    style: { head: [] },
  });
  for (const r of results) {
    table.push([
      r.case,
      ...paramKeys.map((k) => String(r.params[k] ?? '')),
      r.backend,
      fmt(r.medianMs),
      fmt(r.gflops, 2),
      r.peakTensorBytes === undefined ? '' : fmt(r.peakTensorBytes / 2 ** 20),
      fmt(r.peakRssMb),
      r.status === 'ok' ? '' : `${r.status}: ${r.note ?? ''}`,
    ]);
  }
  console.log(`\n${suite.name}${isolated ? ' (fresh process per case)' : ''}`);
  console.log(table.toString());
  const ratios: Array<{
    name: string;
    backend: string;
    value: number | undefined;
    how: 'interleaved' | 'separate processes';
    pair?: PairMeasurement;
    target?: BenchRatio['target'];
    met: boolean | undefined;
  }> = [];
  for (const ratio of suite.ratios ?? []) {
    for (const backend of backends) {
      const num = results.find((r) => r.case === ratio.numerator && r.backend === backend);
      const den = results.find((r) => r.case === ratio.denominator && r.backend === backend);
      let value =
        num?.medianMs !== undefined && den?.medianMs !== undefined ? num.medianMs / den.medianMs : undefined;
      let pair: PairMeasurement | undefined;
      if (ratio.interleaved && value !== undefined) {
        process.stdout.write(`  ${suite.name} · ${ratio.numerator} ⇄ ${ratio.denominator} · ${backend} … `);
        pair = isolated
          ? await runPair(
              file,
              ratio,
              backend,
              Number(options.iterations ?? ratio.rounds ?? Math.max(7, iterations)),
            )
          : { status: 'error', note: 'interleaved ratios run in fresh processes only' };
        value =
          pair.numeratorMs !== undefined && pair.denominatorMs !== undefined
            ? pair.numeratorMs / pair.denominatorMs
            : undefined;
        process.stdout.write(
          pair.status === 'ok'
            ? `${fmt(pair.numeratorMs)} / ${fmt(pair.denominatorMs)} ms\n`
            : `error: ${pair.note}\n`,
        );
      }
      const met =
        value === undefined || !ratio.target
          ? undefined
          : ratio.target.op === '<='
            ? value <= ratio.target.value
            : value >= ratio.target.value;
      ratios.push({
        name: ratio.name,
        backend,
        value,
        how: ratio.interleaved ? 'interleaved' : 'separate processes',
        ...(pair ? { pair } : {}),
        ...(ratio.target ? { target: ratio.target } : {}),
        met,
      });
    }
  }
  if (ratios.length > 0) {
    const rt = new Table({
      head: ['ratio (time / time, same run)', 'backend', 'measured', 'value', 'target', 'met'],
      style: { head: [] },
    });
    for (const r of ratios) {
      rt.push([
        r.name,
        r.backend,
        r.how,
        r.value === undefined ? 'n/a' : r.value.toFixed(3),
        r.target ? `${r.target.op} ${r.target.value}` : '',
        r.met === undefined ? '' : r.met ? 'yes' : 'NO',
      ]);
    }
    console.log(rt.toString());
  }
  const out = join(outDir, `${suite.name.replace(/[^a-z0-9-]+/gi, '_')}.json`);
  writeFileSync(
    out,
    `${JSON.stringify({ suite: suite.name, machine, iterations, isolated, results, ratios }, null, 2)}\n`,
  );
  console.log(`wrote ${out}\n`);
}
