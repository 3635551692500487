import { existsSync } from 'node:fs';
import { type CapabilityReport, initBackend } from '@efficient-attention/backends';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { Backend, BackendChoice } from './cli-options.js';

/**
 * How the CLI's backend was set up, replayed by every fresh-process run so that a worker trains and times on
 * the same backend with the same kernels: the chosen backend, the threads of the WebAssembly kernels
 * (0 = not loaded) and, per kernel contract, whether a kernel or the reference runs.
 */
export interface BackendSetup {
  backend: Backend;
  kernelThreads: number;
  kernels: Record<string, 'kernel' | 'reference'>;
}

/** SwiftShader's Vulkan driver, shipped in Debian's chromium package (see /work/shared/TFJS-PERF.md). */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const DAWN_HINT =
  'Dawn needs a Vulkan driver: on a machine without a GPU run with LD_LIBRARY_PATH=/usr/lib/chromium ' +
  `VK_ICD_FILENAMES=${SWIFTSHADER_ICD} (SwiftShader from Debian's chromium package), or pick --backend wasm`;

/**
 * Exposes a WebGPU adapter as `navigator.gpu` in Node through Dawn (the `webgpu` npm package) and loads
 * tfjs's webgpu backend and this project's WGSL kernels, so `initBackend` can pick `webgpu`. Throws a
 * sentence naming what is missing when there is no adapter.
 */
async function setUpNodeWebGPU(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu === undefined) {
    if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    }
    let dawn: typeof import('webgpu');
    try {
      dawn = await import('webgpu');
    } catch (error) {
      throw new Error(
        `experiments: --backend webgpu needs the \`webgpu\` npm package (Dawn) in Node: ${(error as Error).message}`,
      );
    }
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    if (g.navigator === undefined) {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    } else {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    }
  }
  const adapter = await (g.navigator!.gpu as { requestAdapter(): Promise<unknown> }).requestAdapter();
  if (adapter === null) {
    throw new Error(`experiments: --backend webgpu: Dawn found no WebGPU adapter. ${DAWN_HINT}.`);
  }
  // tfjs-backend-webgpu registers itself only where navigator.gpu exists: import it after the set-up.
  await import('@tensorflow/tfjs-backend-webgpu');
  await import('@efficient-attention/backends/webgpu');
}

/** Options of {@link initExperimentBackend}. */
export interface InitExperimentBackendOptions {
  /** Threads of the WebAssembly kernels on wasm / cpu (default: `initBackend`'s, 2 capped by the cores). */
  threads?: number;
  /** Load the WebAssembly kernels on wasm / cpu (default true). */
  wasmKernels?: boolean;
  /** Don't warn about a fallback from an earlier backend (workers: the CLI warned already). */
  quiet?: boolean;
}

/**
 * Sets up the tfjs backend `--backend` asks for with `initBackend` of `@efficient-attention/backends`
 * (its fast kernels registered) and returns the capability report. `auto` takes `initBackend`'s order for
 * this environment; a named backend is the only one tried, and one that cannot start throws a sentence
 * saying why (for `webgpu`, what Dawn needs).
 *
 * @example
 * ```ts
 * const report = await initExperimentBackend('auto');
 * report.backend; // 'wasm'
 * report.kernels.EAFusedAttention; // 'kernel'
 * ```
 */
export async function initExperimentBackend(
  choice: BackendChoice,
  options: InitExperimentBackendOptions = {},
): Promise<CapabilityReport> {
  if (choice === 'webgpu') await setUpNodeWebGPU();
  const init = {
    ...(choice === 'auto' ? {} : { prefer: [choice] }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.wasmKernels === undefined ? {} : { wasmKernels: options.wasmKernels }),
    ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
  };
  try {
    return await initBackend(init);
  } catch (error) {
    throw new Error(`experiments: --backend ${choice} could not start: ${(error as Error).message}`);
  }
}

/** The setup a worker replays; `threads` overrides the kernel threads (training runs share the cores). */
export function backendSetup(report: CapabilityReport, threads = report.wasm.kernelThreads): BackendSetup {
  if (report.backend === 'webgl') {
    throw new Error('experiments: webgl is a browser backend; the CLI runs in Node.');
  }
  return {
    backend: report.backend,
    kernelThreads: report.wasm.kernelThreads === 0 ? 0 : Math.max(1, threads),
    kernels: { ...report.kernels },
  };
}

/**
 * A worker's start: initialises `setup.backend` (kernels on the same terms) and checks that every kernel
 * contract runs a kernel or its reference exactly as in the CLI process, so no run silently measures another
 * path. Throws naming the contracts that differ.
 */
export async function initWorkerBackend(setup: BackendSetup): Promise<CapabilityReport> {
  const report = await initExperimentBackend(setup.backend, {
    quiet: true,
    wasmKernels: setup.kernelThreads > 0,
    ...(setup.kernelThreads > 0 ? { threads: setup.kernelThreads } : {}),
  });
  const differ = Object.keys({ ...setup.kernels, ...report.kernels }).filter(
    (name) => setup.kernels[name] !== report.kernels[name],
  );
  if (report.backend !== setup.backend || differ.length > 0) {
    throw new Error(
      `worker backend differs from the CLI's: ${report.backend} vs ${setup.backend}` +
        (differ.length > 0
          ? `; ${differ.map((n) => `${n} ${report.kernels[n] ?? 'missing'} (CLI: ${setup.kernels[n] ?? 'missing'})`).join(', ')}`
          : ''),
    );
  }
  return report;
}
