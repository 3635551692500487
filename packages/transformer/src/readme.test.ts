import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runReadmeSnippet } from '@efficient-attention/test-utils';
import { expect, it } from 'vitest';

const packageDir = new URL('..', import.meta.url).pathname;

it('README usage snippet runs', async () => {
  await expect(runReadmeSnippet(packageDir)).resolves.toBeDefined();
});

/** The ```js block of a README section (`## heading` up to the next `## `), run like the usage snippet. */
async function runSectionSnippet(heading: string): Promise<Record<string, unknown>> {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section.`);
  const end = readme.indexOf('\n## ', start + 1);
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(start, end < 0 ? undefined : end));
  if (!match) throw new Error(`README.md's "${heading}" section has no \`\`\`js snippet.`);
  // Inside the package folder, so that it imports packages by their npm names as a user would; the file
  // name is the git-ignored one of runReadmeSnippet, the query keeps the two modules apart.
  const file = join(packageDir, '.readme-snippet.mjs');
  writeFileSync(file, match[1]!);
  try {
    const url = `${pathToFileURL(file).href}?section=${encodeURIComponent(heading)}`;
    return (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } finally {
    rmSync(file, { force: true });
  }
}

it('README "Training on the fast kernels" runs: optimizer steps through the fused kernel lower the loss', async () => {
  const { report, losses, ours } = (await runSectionSnippet('Training on the fast kernels')) as {
    report: { backend: string; kernels: Record<string, string> };
    losses: number[];
    ours: string[];
  };
  expect(report.backend).toBe('wasm');
  expect(report.kernels.EAFusedAttention).toBe('kernel');
  expect(ours).toContain('EAFusedAttention');
  // The backward ran as a kernel when one is registered, else through the reference (no kernel name).
  expect(ours.includes('EAFusedAttentionGrad')).toBe(report.kernels.EAFusedAttentionGrad === 'kernel');
  expect(losses).toHaveLength(5);
  for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
  expect(losses.at(-1)!).toBeLessThan(losses[0]!);
});
