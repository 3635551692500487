// Shared by run.mjs and bench.mjs: build the pages with Vite, serve them with `vite preview` on 127.0.0.1,
// and open them in Debian's Chromium through playwright-core with the flags of /work/shared/BROWSER.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

export const browserDir = fileURLToPath(new URL('.', import.meta.url));
const configFile = join(browserDir, 'vite.config.ts');

/** BROWSER.md's flags for headless Chromium as root on a closed network, plus WebGPU on SwiftShader. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
];

/**
 * Builds the pages, starts a preview server and a browser with a fresh user-data dir, runs `fn(page, url)`
 * and always closes the browser, the server and the temp dir.
 */
export async function withPage(fn) {
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({ configFile, preview: { host: '127.0.0.1', port: 0 } });
  const url = server.resolvedUrls?.local[0];
  const userDataDir = await mkdtemp(join(tmpdir(), 'ea-chromium-'));
  let context;
  try {
    if (url === undefined) throw new Error('vite preview did not report a local URL');
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1400, height: 1000 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        console.error(`[page ${message.type()}] ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
    return await fn(page, url);
  } finally {
    await context?.close();
    await new Promise((resolve) => server.httpServer.close(resolve));
    await rm(userDataDir, { recursive: true, force: true });
  }
}
