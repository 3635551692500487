import { runReadmeSnippet } from '@efficient-attention/test-utils';
import { expect, it } from 'vitest';

it('README usage snippet runs: initBackend picks wasm and the fused kernel matches the reference', async () => {
  const out = await runReadmeSnippet(new URL('..', import.meta.url).pathname);
  const report = out.report as {
    backend: string;
    kernels: Record<string, string>;
    gradients: Record<string, string>;
    wasm: { kernelThreads: number };
  };
  expect(report.backend).toBe('wasm');
  expect(report.kernels.EAFusedAttention).toBe('kernel');
  expect(report.gradients.EAFusedAttention).toBe('kernel');
  expect(report.wasm.kernelThreads).toBe(2);
  expect(out.maxError as number).toBeLessThan(1e-4);
});
