// Browser CPU bench: opens wasm-bench.html in headless Chromium (cross-origin isolated: threads) and prints
// the table of bench/attention-interleaved.ts — fused dense attention B=1 H=8 d=64 N=4096, 2 threads, our
// kernel module's relaxed-SIMD and SIMD128 builds vs tfjs-wasm's per-head path and onnxruntime-web —
// measured in interleaved rounds; writes every per-round time to browser/results/wasm-bench.json.
// Usage: node browser/wasm-bench.mjs [--query=n=512&rounds=3&contenders=relaxed,simd128,tfjs,ort-mha,ort-plain]
// (page defaults: n=4096 heads=8 d=64 rounds=7 threads=2, all contenders). A full-size run takes minutes on
// a busy 2-core machine: wrap it in `flock /tmp/bench.lock`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserDir, withPage } from './harness.mjs';

const query = process.argv.find((a) => a.startsWith('--query='))?.slice('--query='.length) ?? '';
const resultsDir = join(browserDir, 'results');
const started = Date.now();
const report = await withPage(async (page, url) => {
  page.on('console', (message) => {
    if (message.type() === 'log') console.log(`  ${message.text()}`);
  });
  await page.goto(`${url}wasm-bench.html?${query}`);
  await page.waitForFunction(() => window.eaWasmBench?.done === true, undefined, {
    timeout: 3_600_000,
    polling: 1000,
  });
  return page.evaluate(() => window.eaWasmBench);
});
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, 'wasm-bench.json');
await writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), query, ...report }, null, 2)}\n`);

const { config: c } = report;
const ratio = (r) => (r === undefined ? '—' : `${r.toFixed(2)}×`);
const exp = (x) => (x === undefined ? '—' : x.toExponential(1));
console.log('');
console.log(
  `B=1 H=${c.heads} d=${c.d} N=${c.n}, non-causal, ${c.threads} threads, ${c.rounds} interleaved rounds after a warm-up ` +
    `(our builds swapped inside each round: swap${c.rewarm ? ' + one untimed call' : ''} not timed)`,
);
console.log(`${report.userAgent}`);
console.log(
  `crossOriginIsolated=${report.crossOriginIsolated} hardwareConcurrency=${report.hardwareConcurrency} ` +
    `kernel builds loaded: ${report.kernelVariants.join(', ') || '—'}; tfjs-wasm: multithread ` +
    `${report.tfjs?.multithreadSupport} SIMD ${report.tfjs?.simdSupport} threads ${report.tfjs?.threads}` +
    (report.ort ? `; onnxruntime-web ${report.ort.version} numThreads ${report.ort.numThreads}` : ''),
);
console.log(
  `${'contender'.padEnd(20)} ${'median ms'.padStart(10)} ${'GFLOP/s'.padStart(8)}  ${'time ÷ ours-relaxed'.padStart(20)}  ` +
    `${'time ÷ ours-simd128'.padStart(20)}  ${'max|Δ| vs tfjs'.padStart(14)}  per-round ms`,
);
for (const r of report.results) {
  console.log(
    `${r.label.padEnd(20)} ${(r.medianMs === undefined ? '—' : r.medianMs.toFixed(0)).padStart(10)} ` +
      `${(r.gflops === undefined ? '—' : r.gflops.toFixed(1)).padStart(8)}  ${ratio(r.ratioVsRelaxed).padStart(20)}  ` +
      `${ratio(r.ratioVsSimd128).padStart(20)}  ${exp(r.maxDiffVsTfjs).padStart(14)}  ` +
      `[${r.times.map((t) => t.toFixed(0)).join(', ')}]${r.error ? `  FAILED: ${r.error}` : ''}`,
  );
}
console.log(
  "time ÷ ours = median over rounds of (its time / ours' time in the same round): > 1 means ours is faster.",
);
for (const s of report.skipped) console.log(`SKIPPED ${s}`);
if (report.fatal) console.error(`FATAL ${report.fatal}`);
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; results in ${file}`);
// As bench.mjs: a contender that fails is printed (FAILED, with its error) and kept in the JSON; only a page
// that could not run at all fails the command.
process.exit(report.fatal ? 1 : 0);
