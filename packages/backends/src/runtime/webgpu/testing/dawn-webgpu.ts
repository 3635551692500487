import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

/** SwiftShader's Vulkan driver, shipped in Debian's chromium package (see /work/shared/TFJS-PERF.md). */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** How to get an adapter on this machine, printed when there is none. */
export const DAWN_HINT =
  'run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json ' +
  '(`pnpm --filter @efficient-attention/backends test:webgpu`)';

/** Whether tfjs's `webgpu` backend runs in this Node process, and why not. */
export type DawnStatus = { available: true; adapter: string } | { available: false; reason: string };

let status: Promise<DawnStatus> | undefined;

async function setUp(): Promise<DawnStatus> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const dawn = await import('webgpu');
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (!('navigator' in globalThis)) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else if ((globalThis.navigator as { gpu?: unknown }).gpu === undefined) {
    Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  }
  const adapter = await gpu.requestAdapter();
  if (adapter === null) return { available: false, reason: `no WebGPU adapter from Dawn: ${DAWN_HINT}` };
  const info = adapter.info;
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) {
    return { available: false, reason: `tfjs-backend-webgpu failed to initialise: ${DAWN_HINT}` };
  }
  return { available: true, adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim() };
}

/**
 * Test helper: makes tfjs's `webgpu` backend available in Node through Dawn (the `webgpu` npm package),
 * with SwiftShader's Vulkan driver where no GPU exists. Dawn loads `libvulkan.so.1` when the process
 * starts its first adapter request; Debian ships it in /usr/lib/chromium only, so the process must start
 * with LD_LIBRARY_PATH including that folder. Resolves to the status (cached per process).
 *
 * @example
 * ```ts
 * const dawn = await useDawnWebGPU();
 * if (!dawn.available) it.skip(`WebGPU suite skipped: ${dawn.reason}`, () => {});
 * ```
 */
export function useDawnWebGPU(): Promise<DawnStatus> {
  status ??= setUp().catch((error: unknown) => ({
    available: false as const,
    reason: `Dawn failed to start (${String(error)}): ${DAWN_HINT}`,
  }));
  return status;
}

/** Runs `fn` on the `cpu` backend and returns to `webgpu` (the reference side of a comparison). */
export async function onCpu<T>(fn: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return fn();
  } finally {
    await tf.setBackend('webgpu');
  }
}
