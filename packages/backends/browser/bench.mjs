// Browser bench: opens bench.html in headless Chromium (webgl and webgpu on SwiftShader here), prints
// fused-vs-plain medians and ratios, and writes them to browser/results/bench.json with the user agent.
// Usage: node browser/bench.mjs [--query=…] (page defaults: sizes=512,1024,2048 heads=2 d=64 reps=3,
// sparseN=2048 window=128, long=16384 longD=16, vsRef=1 (kernels vs their references), parts=1 (the plain
// path's steps timed alone at the largest size): about 13 min on
// this machine)
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserDir, withPage } from './harness.mjs';

const query = process.argv.find((a) => a.startsWith('--query='))?.slice('--query='.length) ?? '';
const resultsDir = join(browserDir, 'results');
const started = Date.now();
const report = await withPage(async (page, url) => {
  page.on('console', (message) => {
    if (message.type() === 'log') console.log(message.text());
  });
  await page.goto(`${url}bench.html?${query}`);
  await page.waitForFunction(() => window.eaBench?.done === true, undefined, {
    timeout: 3_600_000,
    polling: 1000,
  });
  await mkdir(resultsDir, { recursive: true });
  await page.screenshot({ path: join(resultsDir, 'bench.png'), fullPage: true });
  return page.evaluate(() => window.eaBench);
});
await writeFile(
  join(resultsDir, 'bench.json'),
  `${JSON.stringify({ date: new Date().toISOString(), query, machine: 'see userAgent; software GPU (SwiftShader) unless noted', ...report }, null, 2)}\n`,
);
const fmt = (x) => (x === undefined ? '—' : x.toFixed(1));
console.log('backend  N      heads  fused ms   plain ms   plain/fused  max|diff|  notes');
for (const r of report.rows) {
  console.log(
    `${r.backend.padEnd(8)} ${String(r.n).padEnd(6)} ${String(r.heads).padEnd(6)} ${fmt(r.fusedMs).padStart(9)}  ` +
      `${fmt(r.plainMs).padStart(9)}  ${r.speedup === undefined ? '—'.padStart(11) : `${r.speedup.toFixed(2)}×`.padStart(11)}  ` +
      `${r.maxDiff === undefined ? '—' : r.maxDiff.toExponential(1)}  ${[r.fusedError, r.plainError].filter(Boolean).join('; ')}`,
  );
}
for (const r of report.sparse) {
  console.log(
    `block-sparse ${r.backend} N=${r.n} heads=${r.heads} bs=${r.blockSize} window=${r.window}: density ${r.density.toFixed(3)}, ` +
      `${r.sparseMs.toFixed(1)} ms vs all blocks ${r.denseMs.toFixed(1)} ms → time / (density × all) = ` +
      `${r.costPerVisitedBlock.toFixed(2)} (target ≤ 1.5)`,
  );
}
for (const r of report.versusReference ?? []) {
  console.log(
    `vs reference ${r.backend} ${r.kernel} ${r.case}: kernel ${r.kernelMs.toFixed(1)} ms, reference ` +
      `${r.referenceMs.toFixed(1)} ms → ${r.speedup.toFixed(2)}×`,
  );
}
for (const r of report.plainParts ?? []) {
  console.log(
    `plain path's steps ${r.backend} N=${r.n} heads=${r.heads}: q·kᵀ ${r.scoresMs.toFixed(1)} ms, softmax ` +
      `${r.softmaxMs.toFixed(1)} ms, p·v ${r.valuesMs.toFixed(1)} ms → matrix products ${(100 * r.matMulShare).toFixed(0)}%`,
  );
}
for (const s of report.skipped) console.log(`SKIPPED ${s}`);
if (report.fatal) console.error(`FATAL ${report.fatal}`);
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; results in ${resultsDir}/bench.json`);
process.exit(report.fatal ? 1 : 0);
