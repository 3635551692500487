import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CapabilityReport } from '@efficient-attention/backends';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExperimentReport } from './experiment.js';
import { formatPercent } from './format.js';
import { lineChartSpec } from './plots.js';
import { column } from './results-table.js';
import { reproduceCommand, writeExperiment, writeIndexes, writeSummary } from './results-writer.js';
import { collectRunMetadata } from './run-metadata.js';

/** A capability report as initBackend gives it for wasm with the WebAssembly kernels (a fixture). */
const capabilities: CapabilityReport = {
  backend: 'wasm',
  environment: 'node',
  floatPrecision: 32,
  tried: [{ backend: 'wasm', ok: true }],
  wasm: { simd: true, relaxedSimd: false, kernelVariant: 'simd128', sharedMemory: true, kernelThreads: 2 },
  kernels: { EAFusedAttention: 'kernel', EAFusedAttentionGrad: 'reference' },
  gradients: { EAFusedAttention: 'reference' },
};

const dir = mkdtempSync(join(tmpdir(), 'experiments-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  variant: string;
  accuracy: number | null;
  failure?: string;
}

const report: ExperimentReport = {
  experiment: 'mqar',
  description: 'test report',
  config: { steps: 3 },
  runs: [{ runId: 'mqar.dense.seed-1', outcome: { status: 'ok', metrics: { accuracy: 0.75 } } }],
  table: {
    columns: [
      column('variant', (r: Row) => r.variant),
      column(
        'accuracy',
        (r: Row) => r,
        (r) => (r.failure === undefined ? formatPercent(r.accuracy) : `failed: ${r.failure}`),
      ),
    ],
    rows: [
      { variant: 'dense', accuracy: 0.75 },
      { variant: 'sliding window', accuracy: null, failure: 'loss is NaN at step 3' },
    ],
  },
  notes: ['a note'],
  plots: [
    {
      file: 'mqar-loss.svg',
      spec: lineChartSpec([{ series: 'dense', x: 1, y: 2 }], { title: 't', xTitle: 'x', yTitle: 'y' }),
    },
  ],
  models: [],
  headline: [],
};

describe('results writer', () => {
  it('writes JSON with config, seed, backend and its capability report, machine, versions and git; markdown; SVG', async () => {
    const meta = collectRunMetadata('auto', capabilities);
    const entry = await writeExperiment(
      dir,
      report,
      { preset: 'quick', backend: 'wasm', seed: 42, meta },
      12.5,
    );
    expect(entry).toMatchObject({ json: 'mqar.json', markdown: 'mqar.md', plots: ['mqar-loss.svg'] });
    const json = JSON.parse(readFileSync(join(dir, 'mqar.json'), 'utf8'));
    expect(json).toMatchObject({
      experiment: 'mqar',
      preset: 'quick',
      backend: 'wasm',
      seed: 42,
      config: { steps: 3 },
    });
    expect(json.machine.logicalCores).toBeGreaterThan(0);
    expect(json.machine.loadAverage).toHaveLength(3);
    expect(json.versions.tfjs).toBe('4.22.0');
    expect(json.versions.packages['@efficient-attention/core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(json.versions.packages['@efficient-attention/backends']).toMatch(/^\d+\.\d+\.\d+/);
    // The backend asked for and initBackend's report of the one chosen, beside the chosen backend's name.
    expect(json.capabilities).toEqual({ requested: 'auto', report: capabilities });
    expect(json.command).toBe('pnpm experiments --preset quick --only mqar --backend wasm');
    expect(json.git.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(json.runs[0].outcome.metrics.accuracy).toBe(0.75);
    expect(json.table).toEqual({
      head: ['variant', 'accuracy'],
      rows: [
        ['dense', '75.0%'],
        ['sliding window', 'failed: loss is NaN at step 3'],
      ],
    });
    const md = readFileSync(join(dir, 'mqar.md'), 'utf8');
    expect(md).toContain('| sliding window | failed: loss is NaN at step 3 |');
    expect(md).toContain(
      'Reproduce: `pnpm experiments --preset quick --only mqar --backend wasm` (seed 42).',
    );
    expect(md).toContain('backend wasm with kernels EAFusedAttention (wasm kernels on 2 threads), Node');
    expect(readFileSync(join(dir, 'mqar-loss.svg'), 'utf8').startsWith('<svg')).toBe(true);
  });

  it('merges index entries across --only runs and keeps the experiment order', () => {
    const entry = (experiment: string, wallSeconds: number) => ({
      experiment,
      description: '',
      json: `${experiment}.json`,
      markdown: `${experiment}.md`,
      plots: [],
      command: reproduceCommand('quick', experiment, 'cpu'),
      wallSeconds,
      date: '',
    });
    const order = ['a', 'b', 'c'];
    writeIndexes(dir, 'quick', [entry('c', 1), entry('a', 1)], [], order);
    writeIndexes(dir, 'quick', [entry('b', 2), entry('a', 3)], [], order);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(index.experiments.map((e: { experiment: string }) => e.experiment)).toEqual(['a', 'b', 'c']);
    expect(index.experiments[0].wallSeconds).toBe(3);
    expect(index.experiments[1].command).toBe('pnpm experiments --preset quick --only b --backend cpu');
  });

  it('lists exported models by family in models/index.json, replacing a family on a new run', () => {
    const model = (family: string, variant: string) => ({
      family,
      experiment: 'mqar' as const,
      variant,
      mechanism: 'dense',
      task: 'causal-lm' as const,
      path: `models/${family}`,
      files: ['model.json', 'weights.bin'],
      tokenizer: { kind: 'mqar' },
      exampleTokens: [1, 2, 3],
      metrics: { accuracy: 1 },
    });
    writeIndexes(dir, 'quick', [], [model('sparse', 'old'), model('dense', 'dense')], []);
    writeIndexes(dir, 'quick', [], [model('sparse', 'new')], []);
    const index = JSON.parse(readFileSync(join(dir, 'models', 'index.json'), 'utf8'));
    expect(index.models.map((m: { family: string; variant: string }) => `${m.family}:${m.variant}`)).toEqual([
      'dense:dense',
      'sparse:new',
    ]);
  });

  it('builds summary.md from every indexed experiment, so an --only run keeps the other rows', async () => {
    const own = mkdtempSync(join(tmpdir(), 'experiments-summary-'));
    const meta = collectRunMetadata('wasm', capabilities);
    const context = { preset: 'full', backend: 'wasm', seed: 42, meta };
    const withHeadline = (experiment: 'mqar' | 'listops', value: string): ExperimentReport => ({
      ...report,
      experiment,
      plots: [],
      headline: [{ variant: 'dense', metric: 'accuracy', value, status: 'ok' }],
    });
    const order = ['mqar', 'listops'];
    const first = await Promise.all([
      writeExperiment(own, withHeadline('listops', '30%'), context, 20),
      writeExperiment(own, withHeadline('mqar', '90%'), context, 100),
    ]);
    writeIndexes(own, 'full', first, [], order);
    writeSummary(own, 'full', order, [], 'first run');
    // Re-run only mqar, and let a third experiment crash: listops's row stays, the crash gets a row.
    writeIndexes(
      own,
      'full',
      [await writeExperiment(own, withHeadline('mqar', '99%'), context, 50)],
      [],
      order,
    );
    const rows = writeSummary(
      own,
      'full',
      order,
      [{ experiment: 'char-lm-bitnet', variant: '—', metric: '—', value: '—', status: 'failed: boom' }],
      'Last run: mqar',
    );
    expect(rows.map((r) => `${r.experiment}:${r.value}`)).toEqual([
      'mqar:99%',
      'listops:30%',
      'char-lm-bitnet:—',
    ]);
    const md = readFileSync(join(own, 'summary.md'), 'utf8');
    expect(md).toContain('| mqar | dense | accuracy | 99% | ok |');
    expect(md).toContain('| listops | dense | accuracy | 30% | ok |');
    expect(md).toContain('| char-lm-bitnet | — | — | — | failed: boom |');
    expect(md).toContain('Last run: mqar');
    expect(md).toMatch(/mqar 50 s .*listops 20 s .*70 s in all/);
    rmSync(own, { recursive: true, force: true });
  });
});
