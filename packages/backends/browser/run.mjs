// Browser tests of the webgl/webgpu kernels: opens index.html in headless Chromium, waits for the page's
// JSON report (window.eaKernelChecks), prints it, saves a screenshot and exits non-zero on any failure.
// A backend that does not initialise is reported as SKIPPED (visible), never counted as a pass.
// Usage: node browser/run.mjs [--backends=webgl,webgpu] [--require=webgl,webgpu]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserDir, withPage } from './harness.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const backends = arg('backends', 'webgl,webgpu');
// Backends that must run (a skip of these fails the run); empty by default: no adapter → visible skip.
const required = arg('require', '').split(',').filter(Boolean);
const resultsDir = join(browserDir, 'results');

const started = Date.now();
const report = await withPage(async (page, url) => {
  await page.goto(`${url}index.html?backends=${backends}`);
  await page.waitForFunction(() => window.eaKernelChecks !== undefined, undefined, { timeout: 600_000 });
  await mkdir(resultsDir, { recursive: true });
  await page.screenshot({ path: join(resultsDir, 'kernel-checks.png'), fullPage: true });
  return page.evaluate(() => window.eaKernelChecks);
});
await writeFile(join(resultsDir, 'kernel-checks.json'), `${JSON.stringify(report, null, 2)}\n`);

let failures = 0;
if (report.fatal) {
  console.error(`FATAL ${report.fatal}`);
  failures++;
}
for (const r of report.results) {
  const line =
    `${r.pass ? 'pass' : 'FAIL'}  ${r.backend.padEnd(6)} ${r.kernel.padEnd(22)} ${r.path.padEnd(9)} ` +
    `max|err| ${r.maxAbsError.toExponential(2)}  err/tol ${r.worstToleranceRatio.toFixed(3)}  ` +
    `(atol ${r.atol}, rtol ${r.rtol})  ${r.case}${r.error ? `  ${r.error}` : ''}`;
  console.log(line);
  if (!r.pass) failures++;
}
for (const s of report.skipped) {
  console.log(`SKIPPED ${s}`);
  if (required.some((b) => s.startsWith(`${b}: the backend did not initialise`))) failures++;
}
const ran = new Set(report.results.map((r) => r.backend));
if (ran.size === 0) {
  console.error('No backend ran: nothing was tested.');
  failures++;
}
console.log(
  `${report.results.length - failures} of ${report.results.length} checks passed on ${[...ran].join(', ') || 'no backend'} ` +
    `in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshot and JSON in ${resultsDir}`,
);
process.exit(failures > 0 ? 1 : 0);
