// End-to-end tests of the playground in Debian's headless Chromium (playwright-core, no browser download):
// builds the static site, serves it with `vite preview` on 127.0.0.1 and a free port, loads every view,
// drives its controls with the keyboard, checks the numbers it renders, and saves screenshots to
// e2e-screenshots/. Exits non-zero on the first failure; always stops the server and the browser.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@efficient-attention/bench/chromium';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shots = join(root, 'e2e-screenshots');
const vite = join(root, 'node_modules', '.bin', 'vite');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForServer(url, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite preview did not answer at ${url} within ${timeoutMs} ms`);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function textOf(page, testId, timeout = 60_000) {
  const locator = page.getByTestId(testId).first();
  await locator.waitFor({ timeout });
  return (await locator.textContent())?.trim() ?? '';
}

async function waitForText(page, testId, expected, timeout = 60_000) {
  const locator = page.getByTestId(testId).first();
  await locator.waitFor({ timeout });
  const end = Date.now() + timeout;
  let last = '';
  while (Date.now() < end) {
    last = (await locator.textContent())?.trim() ?? '';
    if (expected instanceof RegExp ? expected.test(last) : last === expected) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`[data-testid=${testId}] shows "${last}", expected ${expected}`);
}

/** Moves a labelled slider with the keyboard (the way a keyboard user would). */
async function pressOn(page, label, key, times = 1) {
  const slider = page.getByLabel(label, { exact: true });
  await slider.focus();
  for (let i = 0; i < times; i++) await slider.press(key);
}

const tests = {
  async encodings(page, base) {
    await page.goto(`${base}#/encodings?backend=wasm&length=32&dim=16`);
    // RoPE pair 0 turns by θ₀ = base^0 = 1 rad per position: wavelength 2π.
    assert((await waitForText(page, 'theta', '1')) === '1', 'θ of pair 0');
    assert((await textOf(page, 'wavelength')) === '6.283', 'wavelength of pair 0');
    await page.getByRole('img', { name: /\(RoPE\) encoding matrix: 32 × 16/i }).waitFor();
    await page.getByLabel('RoPE scaling', { exact: true }).selectOption('linear');
    await pressOn(page, 'Scaling factor', 'ArrowRight', 3); // 4 → 7
    // Position interpolation divides θ by the factor: 1/7.
    await waitForText(page, 'theta', '0.1429');
    await pressOn(page, 'RoPE pair', 'ArrowRight', 1);
    // Pair 1 of d = 16: θ₁ = 10000^(−2/16) / 7.
    await waitForText(page, 'theta', String(Number((10000 ** (-2 / 16) / 7).toPrecision(4))));
    assert(
      page.url().includes('factor=7') && page.url().includes('pair=1'),
      `URL keeps the state: ${page.url()}`,
    );
    await page.screenshot({ path: join(shots, 'encodings.png'), fullPage: true });
  },

  async masks(page, base) {
    await page.goto(`${base}#/masks?backend=wasm&terms=sliding-window&1.radius=2&n=16&blockSize=4`);
    // Radius 2 over 16 tokens: 74 of 256 pairs.
    await waitForText(page, 'allowed', '74 / 256');
    assert((await textOf(page, 'density')) === '0.2891', 'sliding-window density');
    // Every registered pattern is offered, the issue-20 ones included.
    const offered = await page
      .getByLabel('Pattern 1', { exact: true })
      .locator('option')
      .evaluateAll((options) => options.map((o) => o.value));
    for (const name of ['causal', 'prefix-lm', 'document-mask', 'attention-sink', 'bigbird', 'fixed'])
      assert(offered.includes(name), `pattern ${name} is offered (${offered})`);
    // The controls come from the option schema: radius is a number field (no upper bound).
    const first = page.getByRole('group', { name: 'Pattern 1 options' });
    await first.getByLabel('radius', { exact: true }).press('ArrowDown');
    await waitForText(page, 'allowed', '46 / 256');
    assert((await textOf(page, 'flops-saved')) === '82.03%', 'FLOPs saved of radius 1');
    assert(page.url().includes('1.radius=1'), `the URL keeps the option by its key: ${page.url()}`);
    // Compose: a global-tokens term needs its indices; until they are given, the pattern's error is shown.
    await page.getByRole('button', { name: 'Add pattern' }).click();
    await page.getByLabel('Pattern 2', { exact: true }).selectOption('global-tokens');
    await waitForText(page, 'mask-problems', /^Pattern 2 \(Global tokens\): .*indices/);
    await page
      .getByRole('group', { name: 'Pattern 2 options' })
      .getByLabel('indices', { exact: true })
      .fill('0');
    // Radius 1 has 46 pairs; token 0's row adds 14 and its column 14 more: 74.
    await waitForText(page, 'allowed', '74 / 256');
    await page.getByLabel('Combine with', { exact: true }).selectOption('and');
    // sliding window AND global: the window pairs in row 0 or column 0: (0,0), (0,1), (1,0) = 3.
    await waitForText(page, 'allowed', '3 / 256');
    // An integer-list option: two packed documents of 4 tokens each = 2 · 16 pairs.
    await page.goto(
      `${base}#/masks?backend=wasm&terms=document-mask&1.documentIds=0,0,0,0,1,1,1,1&n=8&blockSize=4`,
    );
    await waitForText(page, 'allowed', '32 / 64');
    // N = 1024 is built in the worker: 5·1024 − 6 pairs for radius 2 (the page stays responsive meanwhile).
    await page.goto(`${base}#/masks?backend=wasm&terms=sliding-window&1.radius=2&n=1024&blockSize=64`);
    await waitForText(page, 'allowed', '5114 / 1048576');
    assert((await page.evaluate(() => 1 + 1)) === 2, 'the page answers');
    await page.screenshot({ path: join(shots, 'masks-1024.png'), fullPage: true });
    // An option the schema rejects is explained in the page, in createPatternMask's words.
    await page.goto(`${base}#/masks?backend=wasm&terms=sliding-window&1.radius=-1&n=8`);
    await waitForText(page, 'mask-problems', /`options\.radius` must be an integer ≥ 0, received -1/);
    // Global vs local with the moving window.
    await waitForText(page, 'window-readout', /Query 0 attends keys 0–2 \(3 keys\)/);
    await pressOn(page, 'Query position', 'ArrowRight', 5);
    await waitForText(page, 'window-readout', /Query 5 attends keys 3–7 \(5 keys\)/);
    await page.getByRole('button', { name: 'Play moving window' }).click();
    await waitForText(page, 'window-readout', /Query (7|8|9|10|11) attends/, 10_000);
    await page.getByRole('button', { name: 'Pause moving window' }).click();
    await page.screenshot({ path: join(shots, 'masks.png'), fullPage: true });
  },

  async complexity(page, base) {
    await page.goto(
      `${base}#/complexity?backend=wasm&min=5&max=6&repeats=1&d=16&k=16&m=16&mech=dense,linear-elu,performer`,
    );
    await waitForText(page, 'backend-status', /wasm ready/);
    await page.getByRole('button', { name: /Measure on wasm/ }).click();
    await page.getByTestId('complexity-table').waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: /Measure on wasm/ }).waitFor({ timeout: 120_000 });
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=complexity-table] tbody tr').length === 6,
      null,
      {
        timeout: 120_000,
      },
    );
    const cells = await page.$$eval('[data-testid=complexity-table] tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('th,td')].map((c) => c.textContent)),
    );
    for (const [name, n, ms, , flops] of cells) {
      assert(['32', '64'].includes(n), `N of ${name}`);
      assert(Number(ms) > 0, `time of ${name} at ${n}: ${ms}`);
      // 4·N²·d, shown to 4 significant digits.
      if (name === 'dense')
        assert(
          flops === String(Number((4 * Number(n) ** 2 * 16).toPrecision(4))),
          `dense FLOPs at ${n}: ${flops}`,
        );
    }
    await page.screenshot({ path: join(shots, 'complexity.png'), fullPage: true });
    // A long run shows progress and can be cancelled.
    await page.goto(`${base}#/complexity?backend=wasm&min=6&max=11&repeats=5&d=32`);
    await page.getByRole('button', { name: /Measure on wasm/ }).click();
    await page.getByTestId('task-progress').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await waitForText(page, 'task-cancelled', /^Cancelled after \d+ of 30 steps\.$/, 120_000);
    // N beyond what the backend holds is explained, not thrown.
    await page.goto(`${base}#/complexity?backend=wasm&min=14&max=16&mech=dense`);
    await waitForText(page, 'capacity-problems', /dense at N = 16384 needs a 1024 MiB tensor/);
  },

  async bitnet(page, base) {
    await page.goto(`${base}#/bitnet?backend=wasm&size=64&timeMax=8&repeats=1`);
    // 64 × 64 weights: 16 KiB as float32, 64 rows × 16 B + 4 B scale packed at 2 bits.
    await page.getByTestId('bytes-fp32').waitFor({ timeout: 60_000 });
    assert(
      (await page.getByTestId('bytes-fp32').locator('td').first().textContent()) === '16 KiB',
      'fp32 bytes',
    );
    assert(
      (await page.getByTestId('bytes-i2s').locator('td').first().textContent()) === '1.004 KiB',
      'packed bytes',
    );
    await pressOn(page, 'Matrix size', 'ArrowLeft', 2); // 64 → 32
    await page.waitForFunction(
      () => document.querySelector('[data-testid=bytes-fp32] td')?.textContent === '4 KiB',
      null,
      { timeout: 60_000 },
    );
    assert(
      (await page.getByTestId('bytes-i2s').locator('td').first().textContent()) === '260 B',
      'packed bytes at 32',
    );
    await waitForText(page, 'backend-status', /wasm ready/);
    await page.getByRole('button', { name: /Time \[1, K\]/ }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=matmul-table] tbody tr').length === 2,
      null,
      {
        timeout: 120_000,
      },
    );
    const rows = await page.$$eval('[data-testid=matmul-table] tbody tr', (trs) =>
      trs.map((r) => [...r.querySelectorAll('th,td')].map((c) => c.textContent)),
    );
    assert(rows[0][0] === '128' && rows[1][0] === '256', `sizes ${rows.map((r) => r[0])}`);
    assert(
      rows.every((r) => Number(r[1]) > 0 && Number(r[2]) > 0),
      'timings are positive',
    );
    assert(rows[1][4] === '256 KiB' && rows[1][5] === '16 KiB', `bytes at 256: ${rows[1]}`);
    await page.screenshot({ path: join(shots, 'bitnet.png'), fullPage: true });
  },

  async attention(page, base) {
    await page.goto(`${base}#/attention?backend=wasm`);
    const indexFile = join(root, 'dist', 'models', 'index.json');
    const exported = existsSync(indexFile) ? JSON.parse(readFileSync(indexFile, 'utf8')).models : [];
    const families = exported.map((m) => m.family);
    const missing = ['dense', 'sparse', 'adaptive', 'linear'].filter((f) => !families.includes(f));
    if (missing.length > 0) {
      // The view says which exported families are missing from this build and how to make them.
      await waitForText(page, 'missing-families', missing.join(', '));
      const text = await page.getByTestId('models-missing').textContent();
      assert(text.includes('pnpm experiments --preset quick'), 'explains how to produce the models');
      console.log(
        `  (models missing from results/quick/models: ${missing.join(', ')}; checked the explanation)`,
      );
    }
    if (exported.some((m) => m.mechanism === 'dense')) {
      await page.getByTestId('panel-dense').waitFor({ timeout: 180_000 });
      assert(
        (await page.getByTestId('panel-dense').getByTestId('panel-error').textContent()) === '0',
        'dense vs itself',
      );
      const sparse = page
        .locator('[data-testid=panel-approximation]', { hasText: 'sparse' })
        .getByTestId('panel-error');
      const before = Number(await sparse.textContent());
      console.log(
        `  (exported models found: checked ${await page.getByTestId('panel-trained').count()} trained-family panels)`,
      );
      assert(before > 0, `a narrow window changes the maps (error ${before})`);
      // A causal window wider than the sequence is dense attention: the error drops to float32 rounding.
      const errorOf = (name) =>
        page.evaluate(
          (n) =>
            Number(
              [...document.querySelectorAll('[data-testid=panel-approximation]')]
                .find((s) => s.querySelector('h3')?.textContent?.startsWith(n))
                ?.querySelector('[data-testid=panel-error]')?.textContent ?? 'NaN',
            ),
          name,
        );
      await pressOn(page, 'Sparse window radius', 'End');
      await page
        .getByRole('heading', { name: 'sparse (sliding window, radius 256)' })
        .waitFor({ timeout: 180_000 });
      const wide = await errorOf('sparse');
      assert(wide < 1e-5, `a window over the whole sequence equals dense (error ${wide})`);
      // So does a span longer than every distance.
      const spanBefore = await errorOf('adaptive');
      assert(spanBefore > 0, `a short span changes the maps (error ${spanBefore})`);
      await pressOn(page, 'Adaptive span z', 'End');
      await page
        .getByRole('heading', { name: /^adaptive span \(z = (256|\d+, capped)/ })
        .waitFor({ timeout: 180_000 });
      const spanAfter = await errorOf('adaptive');
      assert(spanAfter < 1e-5, `a span over the whole sequence equals dense (error ${spanAfter})`);
      assert((await errorOf('linear (Performer')) > 0, 'Performer approximates');
    }
    const chars = exported.find((m) => m.mechanism === 'dense' && m.tokenizer?.kind === 'characters');
    if (chars !== undefined) {
      // A character model takes a typed sentence; characters outside its vocabulary are explained.
      await page.screenshot({ path: join(shots, 'attention.png'), fullPage: true });
      await page.getByRole('combobox', { name: 'Base model (dense attention)' }).selectOption(chars.family);
      const vocabulary = chars.tokenizer.vocabulary;
      const sentence = [...'the cat sat on the mat'].filter((c) => vocabulary.includes(c)).join('');
      await page.getByLabel(/^Text/).fill(sentence);
      await page.getByRole('button', { name: 'Run' }).click();
      await page.getByRole('heading', { name: `dense (dense)` }).waitFor({ timeout: 180_000 });
      await page
        .getByRole('img', { name: new RegExp(`: ${sentence.length} × ${sentence.length} `) })
        .first()
        .waitFor({ timeout: 180_000 });
      await page.getByLabel(/^Text/).fill(`${sentence}\u2603`);
      await page.getByRole('button', { name: 'Run' }).click();
      await waitForText(page, 'token-problem', /not in the model's vocabulary: "\u2603"/);
      await page.screenshot({ path: join(shots, 'attention-characters.png'), fullPage: true });
      return;
    }
    await page.screenshot({ path: join(shots, 'attention.png'), fullPage: true });
  },

  async backend(page, base) {
    await page.goto(`${base}#/backend?backend=cpu`);
    await waitForText(page, 'report-backend', 'cpu');
    await page.getByRole('combobox', { name: 'Backend' }).selectOption('webgl');
    await waitForText(page, 'report-backend', 'webgl', 120_000);
    assert(page.url().includes('backend=webgl'), 'the backend is in the URL');
    await page.screenshot({ path: join(shots, 'backend.png'), fullPage: true });
    // WebGPU on SwiftShader: either a report or an explanation in the page, never an exception.
    await page.getByRole('combobox', { name: 'Backend' }).selectOption('webgpu');
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid=report-backend]')?.textContent === 'webgpu' ||
        document.querySelector('[data-testid=backend-error]') !== null,
      null,
      { timeout: 120_000 },
    );
    await page.screenshot({ path: join(shots, 'backend-webgpu.png'), fullPage: true });
  },
};

async function main() {
  const started = Date.now();
  mkdirSync(shots, { recursive: true });
  if (process.env.E2E_SKIP_BUILD !== '1') {
    const build = spawnSync(vite, ['build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('vite build failed');
  }
  const port = await freePort();
  const server = spawn(vite, ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  let browser;
  let failures = 0;
  try {
    const base = `http://127.0.0.1:${port}/`;
    await waitForServer(base, 30_000);
    browser = await launchChromium({ webgpu: true });
    const only = process.argv.slice(2);
    for (const [name, run] of Object.entries(tests)) {
      if (only.length > 0 && !only.includes(name)) continue;
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
      });
      const t0 = Date.now();
      try {
        await run(page, base);
        // Failed fetches of a missing models/index.json are the expected 404 of the missing-models state.
        const unexpected = errors.filter((e) => !/404|models\/index\.json/.test(e));
        if (unexpected.length > 0) throw new Error(unexpected.join('\n'));
        console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (error) {
        failures++;
        console.error(`FAIL ${name}: ${error.message}`);
        await page.screenshot({ path: join(shots, `${name}-failure.png`), fullPage: true }).catch(() => {});
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser?.close();
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  console.log(
    `${failures === 0 ? 'passed' : `${failures} failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots in ${shots}`,
  );
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
