// The one headless Chromium launcher of every e2e and bench harness (playground, docs, the backends'
// browser pages and install check). Plain JavaScript with JSDoc types, so `node harness.mjs` imports it
// without a TypeScript loader.
import { chromium } from 'playwright-core';

/**
 * The flags of /work/shared/BROWSER.md for headless Chromium as root on a closed network: without the
 * background-networking ones, Chromium's own connections are refused by the network, many at a time.
 */
export const CHROMIUM_FLAGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** WebGPU on SwiftShader's fallback adapter: without these `navigator.gpu.requestAdapter()` gives null. */
export const WEBGPU_FLAGS = Object.freeze(['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']);

/**
 * @typedef {object} ChromiumOptions
 * @property {boolean} [webgpu] Add {@link WEBGPU_FLAGS} (default false).
 */

const OPTION_KEYS = ['webgpu'];

/**
 * The browser binary: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`.
 *
 * @returns {string}
 */
export function chromiumExecutable() {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/**
 * The command-line flags {@link launchChromium} passes, after checking the options.
 *
 * @example
 * ```js
 * chromiumArgs({ webgpu: true }); // [...CHROMIUM_FLAGS, ...WEBGPU_FLAGS]
 * ```
 * @param {ChromiumOptions} [options]
 * @returns {string[]}
 */
export function chromiumArgs(options = {}) {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key))
      throw new Error(`launchChromium: unknown option "${key}"; expected one of ${OPTION_KEYS.join(', ')}`);
  }
  const { webgpu = false } = options;
  if (typeof webgpu !== 'boolean')
    throw new Error(`launchChromium: webgpu must be a boolean, received ${JSON.stringify(webgpu)}`);
  return [...CHROMIUM_FLAGS, ...(webgpu ? WEBGPU_FLAGS : [])];
}

/**
 * Starts headless Chromium ({@link chromiumExecutable}) through playwright-core with {@link CHROMIUM_FLAGS}
 * (plus {@link WEBGPU_FLAGS} with `webgpu: true`). Every launch gets a fresh temporary `--user-data-dir`
 * (playwright-core creates it for `launch()` and deletes it in `browser.close()`), so runs share no profile;
 * always close the browser, e.g. in a `finally`.
 *
 * @example
 * ```js
 * const browser = await launchChromium({ webgpu: true });
 * try {
 *   const page = await browser.newPage();
 *   await page.goto('http://127.0.0.1:4173/');
 * } finally {
 *   await browser.close();
 * }
 * ```
 * @param {ChromiumOptions} [options]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium(options = {}) {
  return chromium.launch({
    executablePath: chromiumExecutable(),
    headless: true,
    args: chromiumArgs(options),
  });
}
