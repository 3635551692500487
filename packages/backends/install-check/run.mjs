// Install check for browsers (`pnpm --filter @efficient-attention/backends test:install`): packs core and
// backends, installs the tarballs into a fresh Vite project (npm, with the tfjs peers), builds it, serves it on
// 127.0.0.1 with COOP/COEP (the kernels' memory is shared), and runs the fused attention kernel in headless
// Chromium (the repository's one launcher), comparing it to core's tfjs-ops reference. It proves that
// `kernels.wasm` and the Web Workers resolve through a bundler. Needs the npm registry and /usr/bin/chromium.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgDir = join(here, '..');
const repo = join(pkgDir, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ea-backends-install-'));
const log = (msg) => console.log(`[install-check] ${msg}`);
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

let server;
let browser;
let failed = false;
try {
  log(`building and packing core and backends into ${work}`);
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const name of ['core', 'backends']) {
    const dir = join(repo, 'packages', name);
    run('pnpm', ['run', 'build'], dir);
    run('pnpm', ['pack', '--pack-destination', tarballs], dir);
  }
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'ea-install-check', private: true, type: 'module' }),
  );
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n',
  );
  writeFileSync(
    join(app, 'main.js'),
    `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { fusedAttentionKernel } from '@efficient-attention/core';
import { initBackend } from '@efficient-attention/backends';

try {
  const report = await initBackend({ prefer: ['cpu'], threads: 2 });
  const [b, h, n, d] = [1, 2, 200, 32];
  const q = tf.randomNormal([b, h, n, d], 0, 1, 'float32', 1);
  const k = tf.randomNormal([b, h, n, d], 0, 1, 'float32', 2);
  const v = tf.randomNormal([b, h, n, d], 0, 1, 'float32', 3);
  const attrs = { scale: 1 / Math.sqrt(d), causal: true };
  const fast = fusedAttentionKernel.run({ q, k, v }, attrs);
  const reference = fusedAttentionKernel.reference({ q, k, v }, attrs);
  const maxError = tf.max(tf.abs(tf.sub(fast, reference))).dataSync()[0];
  window.__result = { report, maxError };
} catch (error) {
  window.__result = { error: String(error && error.stack || error) };
}
`,
  );
  log('npm install (tarballs + tfjs peers)');
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...files,
      '@tensorflow/tfjs-core@4.22.0',
      '@tensorflow/tfjs-backend-cpu@4.22.0',
    ],
    app,
  );

  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  };
  const vite = await import('vite');
  log('vite build');
  await vite.build({ root: app, logLevel: 'warn', build: { target: 'esnext', outDir: join(app, 'dist') } });
  server = await vite.preview({
    root: app,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 0, headers },
  });
  const url = server.resolvedUrls.local[0];
  log(`serving ${url}`);

  const { launchChromium } = await import('@efficient-attention/bench/chromium');
  browser = await launchChromium();
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.__result !== undefined, undefined, { timeout: 120_000 });
  const result = await page.evaluate(() => window.__result);
  if (result.error) throw new Error(`the page failed: ${result.error}\n${consoleLines.join('\n')}`);
  const { report, maxError } = result;
  log(
    `backend ${report.backend}, kernel threads ${report.wasm.kernelThreads}, SIMD ${report.wasm.simd}, ` +
      `kernel build ${report.wasm.kernelVariant}, ` +
      `EAFusedAttention: ${report.kernels.EAFusedAttention}; max |fused − reference| = ${maxError}`,
  );
  // Chromium validates relaxed SIMD: the second binary (kernels-relaxed.wasm) must have resolved through Vite.
  if (report.wasm.kernelVariant !== 'relaxed-simd')
    throw new Error(`expected the relaxed-SIMD kernel build in Chromium, got ${report.wasm.kernelVariant}`);
  if (report.kernels.EAFusedAttention !== 'kernel')
    throw new Error('the wasm kernels did not register in the page');
  if (report.wasm.kernelThreads !== 2)
    throw new Error(`expected 2 kernel threads, got ${report.wasm.kernelThreads}`);
  if (!(maxError < 1e-4)) throw new Error(`fused attention differs from the reference by ${maxError}`);
  log('OK');
} catch (error) {
  failed = true;
  console.error(`[install-check] FAILED: ${error?.stack ?? error}`);
} finally {
  await browser?.close();
  await server?.close();
  if (!process.env.EA_KEEP_INSTALL_CHECK) rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
