import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CHROMIUM_FLAGS,
  chromiumArgs,
  chromiumExecutable,
  launchChromium,
  WEBGPU_FLAGS,
} from './launch-chromium.mjs';

describe('chromiumArgs', () => {
  it('passes the flags of /work/shared/BROWSER.md, and the SwiftShader WebGPU ones only when asked', () => {
    expect(chromiumArgs()).toEqual([
      '--headless',
      '--no-sandbox',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ]);
    expect(chromiumArgs({ webgpu: false })).toEqual([...CHROMIUM_FLAGS]);
    expect(chromiumArgs({ webgpu: true })).toEqual([
      ...CHROMIUM_FLAGS,
      '--enable-unsafe-webgpu',
      '--use-webgpu-adapter=swiftshader',
    ]);
    expect(WEBGPU_FLAGS).toHaveLength(2);
  });

  it('names an unknown option or a wrong value', () => {
    expect(() => chromiumArgs({ webGpu: true } as never)).toThrow(
      /unknown option "webGpu"; expected one of webgpu/,
    );
    expect(() => chromiumArgs({ webgpu: 'yes' } as never)).toThrow(
      /webgpu must be a boolean, received "yes"/,
    );
  });

  it('runs $CHROMIUM_PATH, else /usr/bin/chromium', () => {
    vi.stubEnv('CHROMIUM_PATH', '/opt/chromium/chrome');
    expect(chromiumExecutable()).toBe('/opt/chromium/chrome');
    vi.unstubAllEnvs();
    vi.stubEnv('CHROMIUM_PATH', undefined);
    expect(chromiumExecutable()).toBe('/usr/bin/chromium');
    vi.unstubAllEnvs();
  });
});

const hasChromium = existsSync(chromiumExecutable());
if (!hasChromium)
  console.warn(`launch-chromium: no browser at ${chromiumExecutable()}, skipping the launch tests`);

describe.skipIf(!hasChromium)('launchChromium', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = createServer((_, res) => res.end('<!doctype html><title>probe</title>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The `--user-data-dir` of the running browser, read from chrome://version's command line. */
  async function profileDir(browser: Awaited<ReturnType<typeof launchChromium>>): Promise<string> {
    const page = await browser.newPage();
    await page.goto('chrome://version');
    const commandLine = (await page.locator('#command_line').textContent()) ?? '';
    await page.close();
    const dir = /--user-data-dir=(\S+)/.exec(commandLine)?.[1];
    if (dir === undefined) throw new Error(`no --user-data-dir in ${commandLine}`);
    return dir;
  }

  it('gives each launch a fresh profile directory and removes it on close', async () => {
    const first = await launchChromium();
    const second = await launchChromium();
    try {
      const [a, b] = [await profileDir(first), await profileDir(second)];
      expect(a).not.toBe(b);
      expect(existsSync(a)).toBe(true);
      await first.close();
      expect(existsSync(a)).toBe(false);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('finds a WebGPU adapter with webgpu: true and none without', async () => {
    const adapterFound = async (webgpu: boolean) => {
      const browser = await launchChromium({ webgpu });
      try {
        const page = await browser.newPage();
        await page.goto(origin);
        return await page.evaluate(async () => (await navigator.gpu?.requestAdapter()) != null);
      } finally {
        await browser.close();
      }
    };
    expect(await adapterFound(true)).toBe(true);
    expect(await adapterFound(false)).toBe(false);
  });
});
