import { registerWasmKernels, unregisterWasmKernels } from '@efficient-attention/backends';
import { scaledDotProductAttention } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KernelRow, runAttentionKernels } from './attention-kernels.js';
import { kernelsTable } from './experiments/attention-kernels.js';
import { tableCells } from './results-table.js';

const settings = { lengths: [24], heads: 2, headDim: 8, repeats: 1, seed: 5 };
const byName = (rows: KernelRow[]) => Object.fromEntries(rows.map((r) => [r.implementation, r]));

describe('runAttentionKernels', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => unregisterWasmKernels());

  it('says per row which backend ran it and whether the fused kernel did, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const plainRows = byName(await runAttentionKernels(settings, () => {}));
    expect(tf.memory().numTensors).toBe(before);
    // No kernel registered yet: every path is tfjs ops.
    for (const r of Object.values(plainRows)) {
      expect(r).toMatchObject({ backend: 'cpu', fusedKernel: false });
      expect(r.error).toBeUndefined();
    }

    await registerWasmKernels({ threads: 1 });
    const rows = byName(await runAttentionKernels(settings, () => {}));
    expect(tf.memory().numTensors).toBe(before);
    expect(rows['memory-efficient']).toMatchObject({ backend: 'cpu', fusedKernel: true });
    expect(rows['plain tfjs ops']).toMatchObject({ backend: 'cpu', fusedKernel: false });
    // Dense (scaledDotProductAttention) runs the kernel exactly when it routes to it on this backend.
    const { kernelNames } = await tf.profile(() => {
      const q = tf.ones([1, 1, 4, 8]);
      tf.dispose([q, scaledDotProductAttention(q, q, q)]);
    });
    expect(rows.dense!.fusedKernel).toBe(kernelNames.includes('EAFusedAttention'));
    // Same seeded inputs, so the fused kernel agrees with dense within float32 rounding (independent
    // reference: the tfjs-ops paths of the first pass, which agree with dense to 1e-6).
    for (const r of [...Object.values(rows), ...Object.values(plainRows)]) {
      expect(r.maxAbsDiffVsDense).toBeLessThan(1e-5);
    }
  });
});

describe('kernelsTable', () => {
  const row = (
    implementation: KernelRow['implementation'],
    medianMs: number,
    fusedKernel: boolean | null,
  ): KernelRow => ({
    implementation,
    backend: 'wasm',
    fusedKernel,
    n: 64,
    medianMs,
    gflops: 1,
    maxAbsDiffVsDense: 0,
  });

  it('has backend and fused-kernel columns, and headlines name both', () => {
    const { table, headline } = kernelsTable(
      [row('dense', 2, false), row('memory-efficient', 1, true), row('plain tfjs ops', 4, false)],
      64,
    );
    const cells = tableCells(table);
    expect(cells.head.slice(0, 4)).toEqual(['implementation', 'backend', 'fused kernel', 'N']);
    expect(cells.rows.map((r) => r.slice(0, 3))).toEqual([
      ['dense', 'wasm', 'no'],
      ['memory-efficient', 'wasm', 'yes'],
      ['plain tfjs ops', 'wasm', 'no'],
    ]);
    expect(headline.map((h) => h.variant)).toEqual([
      'dense (wasm)',
      'memory-efficient (wasm, fused kernel)',
      'plain tfjs ops (wasm)',
    ]);
  });

  it('keeps the columns of rows stored before the backend was recorded', () => {
    const { backend: _b, fusedKernel: _f, ...old } = row('dense', 2, null);
    expect(tableCells(kernelsTable([old], 64).table).head.slice(0, 2)).toEqual(['implementation', 'N']);
  });
});
