/**
 * Browser tests of the built site (docs/build): serves it on 127.0.0.1, drives Debian's chromium with
 * playwright-core, and checks that every blog post, guide and one API page per package loads without console
 * errors and passes axe-core (no serious or critical violations); that every live figure in post 2 hydrates
 * when scrolled to and reacts to its controls; that figures stay unloaded until scrolled to; that search
 * works offline and dark mode switches. Screenshots go to docs/e2e-screenshots/. Exits 1 on any failure.
 *
 * Usage: `pnpm --filter @efficient-attention/docs test:e2e` (builds first), or `node e2e/run-e2e.mjs` to test
 * an existing build. Env: CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@efficient-attention/bench/chromium';

const require = createRequire(import.meta.url);
const siteDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(siteDir, 'build');
const shotsDir = join(siteDir, 'e2e-screenshots');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const PACKAGES = [
  'core',
  'encodings',
  'sparse-masks',
  'adaptive',
  'linear-attention',
  'bitnet',
  'backends',
  'transformer',
];
const POST_1 = '/blog/attention-from-first-principles';
const POST_2 = '/blog/exploring-efficient-attention';
const PAGES = [
  '/',
  '/blog',
  POST_1,
  POST_2,
  '/docs/getting-started',
  '/docs/packages',
  ...PACKAGES.map((p) => `/docs/packages/${p}`),
  '/docs/choosing-a-mechanism',
  '/docs/backends-and-performance',
  '/docs/contributing',
  '/docs/api',
  ...PACKAGES.map((p) => `/docs/api/@efficient-attention/${p}`),
];
/** Every figure post 2 must show, in order (LazyFigure's data-lazy-figure names). */
const POST_2_FIGURES = [
  'EncodingComparisonFigure',
  'GlobalLocalFigure',
  'SparsePatternFigure',
  'AdaptiveSpanFigure',
  'ComplexityFigure',
  'MechanismTable',
  'BitNetFigure',
];

/**
 * axe findings tolerated on purpose, each with its reason: `{ id, within }`, `within` a CSS selector the
 * flagged node must match. None at present (Observable Plot's role-less `<g aria-label>` groups were the last;
 * @efficient-attention/figures now removes those labels when it mounts a chart).
 * @type {Array<{ id: string; within: string }>}
 */
const KNOWN_AXE_ISSUES = [];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.xsl': 'application/xslt+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain',
};

function fileFor(urlPath) {
  const clean = normalize(decodeURIComponent(urlPath.split('?')[0])).replace(/^(\.\.[/\\])+/, '');
  const base = join(buildDir, clean);
  if (!base.startsWith(buildDir)) return null;
  for (const candidate of [base, `${base}.html`, join(base, 'index.html')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** A static server for the build, like `docusaurus serve` (trailingSlash: false → `/x` serves `x.html`). */
function startServer() {
  const server = createServer((req, res) => {
    const file = fileFor(req.url ?? '/');
    if (!file) {
      res.writeHead(404, { 'content-type': TYPES['.html'] });
      createReadStream(join(buildDir, '404.html')).pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const failures = [];
const fail = (page, message) => {
  failures.push(`${page}: ${message}`);
  console.log(`  ✗ ${message}`);
};
const shotName = (path) => (path === '/' ? 'home' : path.replace(/^\//, '').replace(/[/@]+/g, '_'));

async function checkAxe(page, path) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // axe is injected as a global by the evaluate above
    const axe = /** @type {any} */ (window).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        summary: (n.failureSummary ?? '').split('\n').slice(1, 2).join('').trim(),
        known: false,
      })),
    }));
  });
  for (const v of result) {
    for (const node of v.nodes) {
      const rule = KNOWN_AXE_ISSUES.find((k) => k.id === v.id);
      if (rule)
        node.known = await page
          .locator(node.target)
          .evaluate((el, sel) => el.matches(sel), rule.within)
          .catch(() => false);
    }
    v.nodes = v.nodes.filter((n) => !n.known);
  }
  const bad = result.filter((v) => (v.impact === 'serious' || v.impact === 'critical') && v.nodes.length > 0);
  for (const v of bad) {
    const where = v.nodes.slice(0, 3).map((n) => `${n.target}${n.summary ? ` — ${n.summary}` : ''}`);
    fail(path, `axe ${v.impact} ${v.id}: ${v.help} (${where.join('; ')})`);
  }
  return result.filter((v) => v.nodes.length > 0).length;
}

/** Scrolls a lazy figure into view, waits for it to render, moves its first control and expects a change. */
async function checkFigure(page, name) {
  const host = page.locator(`[data-lazy-figure="${name}"]`);
  if ((await host.count()) === 0) {
    fail(POST_2, `figure ${name} is missing`);
    return;
  }
  await host.scrollIntoViewIfNeeded();
  const figure = host.locator('figure.ea-figure').first();
  try {
    await figure.waitFor({ state: 'visible', timeout: 60_000 });
  } catch {
    fail(POST_2, `figure ${name} did not render within 60 s`);
    return;
  }
  const body = figure.locator('.ea-figure-body').first();
  // Wait for the first computation to finish (figures show "Computing…" while tfjs works).
  await page
    .waitForFunction((el) => !el.textContent?.includes('Computing…'), await body.elementHandle(), {
      timeout: 60_000,
    })
    .catch(() => fail(POST_2, `figure ${name} kept computing for 60 s`));
  if ((await host.locator('[role="alert"]').count()) > 0) {
    fail(
      POST_2,
      `figure ${name} shows an error: ${await host.locator('[role="alert"]').first().textContent()}`,
    );
  }
  const drawn = await figure.locator('svg, canvas, table').count();
  if (drawn === 0) fail(POST_2, `figure ${name} has no svg, canvas or table`);
  const before = await body.innerHTML();

  const range = figure.locator('input[type="range"]').first();
  const select = figure.locator('select').first();
  let control;
  if ((await range.count()) > 0) {
    const output = figure.locator('output').first();
    const shownBefore = await output.textContent();
    const max = Number(await range.getAttribute('max'));
    const value = Number(await range.inputValue());
    await range.focus();
    await page.keyboard.press(value >= max ? 'Home' : 'End');
    const shownAfter = await output.textContent();
    if (shownAfter === shownBefore)
      fail(POST_2, `figure ${name}: moving the slider did not change its number`);
    control = `slider ${shownBefore} → ${shownAfter}`;
  } else if ((await select.count()) > 0) {
    const current = await select.inputValue();
    const options = await select.locator('option').evaluateAll((os) => os.map((o) => o.value));
    const next = options.find((o) => o !== current);
    await select.selectOption(next);
    control = `select ${current} → ${next}`;
  } else {
    fail(POST_2, `figure ${name} has no control`);
    return;
  }
  try {
    await page.waitForFunction(([el, old]) => el.innerHTML !== old, [await body.elementHandle(), before], {
      timeout: 60_000,
    });
    console.log(`  ✓ ${name}: renders, reacts to its ${control}`);
  } catch {
    fail(POST_2, `figure ${name} did not change after its ${control}`);
  }
  await figure.screenshot({ path: join(shotsDir, `figure-${name}.png`) }).catch(() => {});
}

async function main() {
  if (!existsSync(join(buildDir, 'index.html'))) {
    console.error('docs/build is missing: run `pnpm --filter @efficient-attention/docs build` first.');
    process.exit(1);
  }
  rmSync(shotsDir, { recursive: true, force: true });
  mkdirSync(shotsDir, { recursive: true });
  const server = await startServer();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchChromium();
  const started = Date.now();
  try {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      colorScheme: 'light',
    });
    for (const path of PAGES) {
      console.log(path);
      const page = await context.newPage();
      const errors = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
      const response = await page.goto(origin + path, { waitUntil: 'load' });
      if (response?.status() !== 200) fail(path, `HTTP ${response?.status()}`);
      const title = await page.title();
      if (/Page Not Found/i.test(title)) fail(path, 'rendered the 404 page');
      // Every page but the blog's list has one <h1> (Docusaurus's blog list has post titles as <h2>).
      const h1 = await page.locator('h1').count();
      if (path !== '/blog' && h1 === 0) fail(path, 'no <h1>');

      if (path === POST_2) {
        // Light pages: no figure code runs before its figure comes near the viewport.
        const hydratedAtLoad = await page.locator('[data-lazy-figure][data-visible="true"]').count();
        const total = await page.locator('[data-lazy-figure]').count();
        if (total !== POST_2_FIGURES.length)
          fail(path, `expected ${POST_2_FIGURES.length} figures, found ${total}`);
        if (hydratedAtLoad > 0) fail(path, `${hydratedAtLoad} figures hydrated before being scrolled to`);
        const jsBytes = await page.evaluate(() =>
          performance
            .getEntriesByType('resource')
            .filter((e) => e.initiatorType === 'script')
            .reduce((sum, e) => sum + (e.encodedBodySize || 0), 0),
        );
        console.log(
          `  · JavaScript at load: ${(jsBytes / 1024).toFixed(0)} KiB; figures hydrated at load: ${hydratedAtLoad}/${total}`,
        );
        for (const name of POST_2_FIGURES) await checkFigure(page, name);
        const results = await page.locator('[data-experiment]').count();
        await page
          .locator('[data-experiment]')
          .first()
          .screenshot({ path: join(shotsDir, 'experiment-results-first.png') })
          .catch(() => {});
        if (results === 0) fail(path, 'no experiment results rendered');
        else
          console.log(
            `  ✓ ${results} experiment result section(s), command shown: ${await page.locator('[data-experiment] code').first().textContent()}`,
          );
      }
      if (path.startsWith('/docs/api/@efficient-attention/')) {
        const text = await page.locator('article').textContent();
        if (!text?.includes('@efficient-attention/')) fail(path, 'API page does not name its package');
      }
      const imagesWithoutAlt = await page.locator('img:not([alt])').count();
      if (imagesWithoutAlt > 0) fail(path, `${imagesWithoutAlt} image(s) without alt text`);
      const violations = await checkAxe(page, path);
      await page.screenshot({ path: join(shotsDir, `${shotName(path)}.png`), fullPage: false });
      // Give late effects (figures' tfjs work) a moment to report errors.
      await page.waitForTimeout(300);
      for (const e of errors) fail(path, `console error: ${e.slice(0, 300)}`);
      if (errors.length === 0)
        console.log(`  ✓ loads, no console errors, axe: ${violations} minor/moderate issue(s)`);
      await page.close();
    }

    // Offline search (the index is built with the site; no network involved).
    {
      const page = await context.newPage();
      await page.goto(`${origin}/`, { waitUntil: 'load' });
      const input = page.locator('input.navbar__search-input').first();
      await input.click();
      await input.fill('sparse');
      try {
        await page.locator('.aa-suggestion, [role="option"]').first().waitFor({ timeout: 20_000 });
        console.log(
          `search: ✓ ${await page.locator('.aa-suggestion, [role="option"]').count()} suggestions for "sparse"`,
        );
        await page.screenshot({ path: join(shotsDir, 'search.png') });
      } catch {
        fail('search', 'no results for "sparse"');
      }
      await page.close();
    }

    // Dark mode: the toggle switches the theme, and post 2 still passes axe in it.
    {
      const page = await context.newPage();
      await page.goto(origin + POST_1, { waitUntil: 'load' });
      // The toggle cycles light → dark → system (or system → light → dark): click until dark, at most 3 times.
      const toggle = page.locator('button[class*="toggleButton"]').first();
      for (let i = 0; i < 3 && (await page.locator('html').getAttribute('data-theme')) !== 'dark'; i++) {
        await toggle.click();
      }
      const theme = await page.locator('html').getAttribute('data-theme');
      if (theme !== 'dark') fail('dark mode', `data-theme is ${theme} after the toggle`);
      else console.log('dark mode: ✓ toggles');
      await checkAxe(page, `${POST_1} (dark)`);
      await page.screenshot({ path: join(shotsDir, 'dark-mode.png') });
      await page.close();
    }

    // Feeds.
    for (const feed of ['/blog/rss.xml', '/blog/atom.xml']) {
      const r = await fetch(origin + feed);
      const text = await r.text();
      if (r.status !== 200 || !text.includes('Exploring Efficient Attention'))
        fail(feed, 'feed missing post 2');
      else console.log(`${feed}: ✓`);
    }
  } finally {
    await browser.close();
    await new Promise((ok) => server.close(ok));
  }
  console.log(
    `\n${PAGES.length} pages, ${POST_2_FIGURES.length} figures in ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots in docs/e2e-screenshots/`,
  );
  if (failures.length > 0) {
    console.log(`\n${failures.length} failure(s):\n${failures.map((f) => `- ${f}`).join('\n')}`);
    process.exit(1);
  }
  console.log('all e2e checks passed');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
