/**
 * Runs every snippet the site shows (the MDX pages import these files as raw text), so the code on the site
 * is the code tested here. Each snippet logs its results; the checks below read those lines.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const snippets: Record<string, () => Promise<unknown>> = {
  'first-sparse-attention': () => import('./first-sparse-attention.js'),
  'scaled-dot-product': () => import('./scaled-dot-product.js'),
  'sinusoidal-encoding': () => import('./sinusoidal-encoding.js'),
  'positional-encodings': () => import('./positional-encodings.js'),
  'sparse-patterns': () => import('./sparse-patterns.js'),
  'local-attention': () => import('./local-attention.js'),
  'adaptive-span': () => import('./adaptive-span.js'),
  'linearizing-attention': () => import('./linearizing-attention.js'),
  bitnet: () => import('./bitnet.js'),
  'mechanism-registry': () => import('./mechanism-registry.js'),
  'custom-mask': () => import('./custom-mask.js'),
  'memory-efficient': () => import('./memory-efficient.js'),
  backends: () => import('./backends.js'),
  transformer: () => import('./transformer.js'),
};

async function runSnippet(file: string): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  });
  try {
    await snippets[file.replace(/\.ts$/, '')]!();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

afterEach(() => vi.resetModules());

describe('docs snippets', () => {
  it('first-sparse-attention: block-sparse attention over a sliding window', async () => {
    const [line] = await runSnippet('first-sparse-attention.ts');
    expect(line).toMatch(/^\[1,4,256,32\] skipped \d+% of the blocks$/);
  });

  it('scaled-dot-product: rows of A sum to 1 and match the by-hand computation', async () => {
    const [shapes, diff] = await runSnippet('scaled-dot-product.ts');
    expect(shapes).toBe('[1,2,6,8] [1,2,6,6] ["1.000","1.000","1.000","1.000","1.000","1.000"]');
    expect(Number(diff?.split(': ')[1])).toBeLessThan(1e-5);
  });

  it('sinusoidal-encoding: position 1 is sin(1), cos(1), …', async () => {
    const [row, shape] = await runSnippet('sinusoidal-encoding.ts');
    expect(row).toContain(Math.sin(1).toFixed(3));
    expect(shape).toBe('[2,8,16]');
  });

  it('positional-encodings: every encoding applies and RoPE decays with distance', async () => {
    const [shapes, curve] = await runSnippet('positional-encodings.ts');
    expect(shapes).toBe('[1,32,16] [1,32,16] [1,32,16] [1,2,32,16]');
    const values = curve!.split(' ').map(Number);
    expect(values).toHaveLength(8);
    expect(values[0]).toBeGreaterThan(values[7]!);
  });

  it('sparse-patterns: the five atomic patterns', async () => {
    const lines = await runSnippet('sparse-patterns.ts');
    const summaries = lines.filter((_, i) => i % 2 === 0);
    expect(summaries.map((l) => l.split(' ')[0])).toEqual([
      'global',
      'band',
      'dilated',
      'random',
      'blockLocal',
    ]);
    expect(summaries[1]).toBe('band       keeps 54/144 scores');
    expect(summaries[3]).toBe('random     keeps 36/144 scores');
    expect(summaries[4]).toBe('blockLocal keeps 48/144 scores');
  });

  it('local-attention: block-sparse equals dense under the same mask', async () => {
    const [shape, diff] = await runSnippet('local-attention.ts');
    expect(shape).toMatch(/^\[1,2,512,32\] blocks skipped: \d+%$/);
    expect(Number(diff?.split(': ')[1])).toBeLessThan(1e-5);
  });

  it('adaptive-span: span attention and sparsemax', async () => {
    const [span, sparse] = await runSnippet('adaptive-span.ts');
    expect(span).toMatch(/^\[1,2,128,16\] keys per head: \[24,24\] L1 penalty: /);
    const weights = JSON.parse(sparse!) as number[];
    expect(weights[0]).toBeCloseTo(0.6, 5);
    expect(weights[1]).toBeCloseTo(0.4, 5);
    expect(weights[2]).toBe(0);
  });

  it('linearizing-attention: Linformer, Performer and Reformer shapes', async () => {
    const [shapes] = await runSnippet('linearizing-attention.ts');
    expect(shapes).toBe('[1,2,256,32] [1,2,256,32] [1,2,256,32]');
  });

  it('bitnet: ternary weights, BitLinear and storage', async () => {
    const [values, shape, storage] = await runSnippet('bitnet.ts');
    expect(values).toMatch(/^weight values: \[-1,0,1\] scale: 0\.0\d+$/);
    expect(shape).toBe('[2,8,128]');
    expect(storage).toMatch(/^i2s 1\d\.\d× and tq1 \d\d\.\d× smaller than fp32$/);
  });

  it('mechanism-registry: lists mechanisms and creates one', async () => {
    const lines = await runSnippet('mechanism-registry.ts');
    expect(lines.some((l) => l.startsWith('performer'))).toBe(true);
    expect(lines.some((l) => l.startsWith('linformer'))).toBe(true);
    expect(lines.at(-1)).toBe('[1,2,64,16]');
  });

  it('custom-mask: a new MaskMod compiles to blocks and runs', async () => {
    const lines = await runSnippet('custom-mask.ts');
    expect(lines.at(-1)).toBe('[1,2,256,16]');
  });

  it('memory-efficient: equals dense attention', async () => {
    const [line] = await runSnippet('memory-efficient.ts');
    expect(Number(line?.split(': ')[1])).toBeLessThan(1e-5);
  });

  it('backends: initBackend picks wasm, loads the kernels, fused equals plain attention', async () => {
    const [backend, contracts, fused] = await runSnippet('backends.ts');
    expect(backend).toMatch(/^backend wasm, SIMD true, kernel threads [12]$/);
    expect(contracts?.split(': ')[1]?.split(' ')).toEqual(
      expect.arrayContaining(['EABlockSparseAttention', 'EAFusedAttention', 'EARope', 'EATernaryMatMul']),
    );
    expect(fused).toMatch(/^\[1,4,256,32\] max \|fused − plain\|: /);
    expect(Number(fused?.split(': ')[1])).toBeLessThan(1e-4);
  });

  it('transformer: three training steps lower the loss, then greedy decoding', async () => {
    const [defaults, ...lines] = await runSnippet('transformer.ts');
    expect(defaults).toBe('causal true, float projections, FFN ×4');
    const losses = lines.slice(0, 3).map((l) => Number(l.match(/^step \d: loss (\d+\.\d{3})$/)?.[1]));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]).toBeLessThan(losses[0]!);
    const [strategy, tokens] = lines[3]!.split(' ');
    expect(strategy).toBe('rolling-cache');
    const generated = JSON.parse(tokens!) as number[];
    expect(generated).toHaveLength(3 + 4); // the prompt, then 4 new tokens
    expect(generated.slice(0, 3)).toEqual([1, 2, 3]);
    expect(generated.every((t) => Number.isInteger(t) && t >= 0 && t < 16)).toBe(true);
  });
});
