// Shared by run.mjs, bench.mjs and wasm-bench.mjs: build the pages with Vite, serve them with `vite preview`
// on 127.0.0.1, and open them in headless Chromium (the repository's one launcher, with WebGPU on SwiftShader).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@efficient-attention/bench/chromium';
import { build, preview } from 'vite';

export const browserDir = fileURLToPath(new URL('.', import.meta.url));
const configFile = join(browserDir, 'vite.config.ts');

/**
 * Builds the pages, starts a preview server and a browser (a fresh profile per run), runs `fn(page, url)`
 * and always closes the browser (which removes its profile) and the server.
 */
export async function withPage(fn) {
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({ configFile, preview: { host: '127.0.0.1', port: 0 } });
  const url = server.resolvedUrls?.local[0];
  let browser;
  try {
    if (url === undefined) throw new Error('vite preview did not report a local URL');
    browser = await launchChromium({ webgpu: true });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        console.error(`[page ${message.type()}] ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
    return await fn(page, url);
  } finally {
    await browser?.close();
    await new Promise((resolve) => server.httpServer.close(resolve));
  }
}
