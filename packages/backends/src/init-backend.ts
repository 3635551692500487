import {
  assertKnownOptions,
  assertNumber,
  expectKernelsOn,
  InvalidArgumentError,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName,
  type CapabilityReport,
  detectEnvironment,
  gradientCoverage,
  kernelCoverage,
  tfjsWasmThreads,
  wasmRelaxedSimdSupported,
  wasmSimdSupported,
} from './capability-report.js';
import { type KernelVariant, sharedMemorySupported } from './runtime/wasm/kernel-module.js';
import { registerWasmKernels } from './runtime/wasm/register-wasm-kernels.js';

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * Backends to try, in order; the first that initialises wins. Default in browsers
   * `['webgpu', 'webgl', 'wasm', 'cpu']`; in Node `['wasm', 'cpu']` (WebGPU in Node only when asked for, and
   * only where `navigator.gpu` exists, e.g. from the `webgpu` npm package).
   */
  prefer?: readonly BackendName[];
  /**
   * Threads of this package's wasm kernels (on `wasm` and `cpu`). Default 2, capped by the reported cores.
   * tfjs-wasm's own threads are separate: see {@link enableNodeWasmThreads} in Node.
   */
  threads?: number;
  /** Load and register this package's WebAssembly kernels when the pick is `wasm` or `cpu`. Default true. */
  wasmKernels?: boolean;
  /**
   * Don't warn when a backend earlier in `prefer` was skipped. By default `initBackend` logs once per process
   * (console.warn, per distinct fallback) which backend it fell back from and why, e.g. wasm not imported;
   * `report.tried` holds the same either way. Default false.
   */
  quiet?: boolean;
}

const FN = 'initBackend';
const ALL: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
/** Fallback warnings already shown (once per process per message, like the kernels' reference fallback). */
const warnedFallbacks = new Set<string>();

function warnFallback(chosen: BackendName, skipped: CapabilityReport['tried']): void {
  const why = skipped.map((t) => `${t.backend} (${t.reason ?? 'failed'})`).join(', ');
  const message =
    `initBackend: fell back to ${chosen}: skipped ${why}. ` +
    'Pass { quiet: true } to silence this; report.tried lists the same.';
  if (warnedFallbacks.has(message)) return;
  warnedFallbacks.add(message);
  console.warn(message);
}

async function probeWebGPU(): Promise<{ reason?: string; report?: Partial<CapabilityReport> }> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (gpu === undefined) {
    return {
      reason:
        detectEnvironment() === 'node'
          ? 'no navigator.gpu in Node (install the `webgpu` package and expose its GPU as navigator.gpu)'
          : 'no navigator.gpu (WebGPU disabled or unsupported)',
    };
  }
  const adapter = (await gpu.requestAdapter()) as {
    features: Iterable<string>;
    limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
    info?: { vendor?: string; architecture?: string; description?: string };
  } | null;
  if (adapter === null) return { reason: 'navigator.gpu.requestAdapter() returned null (no adapter)' };
  const features = [...adapter.features].sort();
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ');
  return {
    report: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      webgpu: {
        features,
        shaderF16: features.includes('shader-f16'),
        subgroups: features.includes('subgroups'),
        ...(name ? { adapter: name } : {}),
      },
    },
  };
}

/**
 * Picks the best available tfjs backend, configures this package's WebAssembly kernels (SIMD, threads over
 * shared memory) when the pick is `wasm` or `cpu`, and returns a {@link CapabilityReport}: the backend, its
 * float precision, WebGL's max texture size or WebGPU's buffer limits and features (`shader-f16`,
 * `subgroups`), SIMD and threads, and which kernel contracts run a kernel rather than their reference. A
 * backend's tfjs package must be imported (e.g. `@tensorflow/tfjs-backend-webgpu`) for it to be tried; the
 * WGSL/GLSL kernels register by importing `@efficient-attention/backends/webgpu` / `/webgl`. From then on a
 * contract without a kernel on the chosen backend warns once and runs its reference (never an error).
 * Falling back past a preferred backend (e.g. to `cpu` because `@tensorflow/tfjs-backend-wasm` was not
 * imported) warns once with the reason, unless `quiet`.
 *
 * Background: FlashAttention (Dao et al. 2022, https://arxiv.org/abs/2205.14135) is the kernel family this
 * package brings to each backend.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * import { initBackend } from '@efficient-attention/backends';
 * const report = await initBackend({ prefer: ['wasm', 'cpu'], threads: 2 });
 * console.log(report.backend, report.kernels.EAFusedAttention); // 'wasm' 'kernel'
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<CapabilityReport> {
  assertKnownOptions(FN, options, ['prefer', 'threads', 'wasmKernels', 'quiet']);
  const environment = detectEnvironment();
  const prefer = options.prefer ?? (environment === 'node' ? ['wasm', 'cpu'] : ALL);
  if (!Array.isArray(prefer) || prefer.length === 0 || prefer.some((b) => !ALL.includes(b))) {
    throw new InvalidArgumentError(FN, 'options.prefer', `a non-empty list of ${ALL.join(', ')}`, prefer);
  }
  const threads = options.threads ?? 2;
  assertNumber(FN, 'options.threads', threads, { integer: true, min: 1, max: 64 });
  const wasmKernels = options.wasmKernels ?? true;
  if (typeof wasmKernels !== 'boolean')
    throw new InvalidArgumentError(FN, 'options.wasmKernels', 'a boolean', wasmKernels);
  const quiet = options.quiet ?? false;
  if (typeof quiet !== 'boolean') throw new InvalidArgumentError(FN, 'options.quiet', 'a boolean', quiet);

  const tried: CapabilityReport['tried'] = [];
  let chosen: BackendName | undefined;
  let extra: Partial<CapabilityReport> = {};
  for (const name of prefer) {
    // WebGPU first: tfjs-backend-webgpu registers itself only where navigator.gpu exists.
    if (name === 'webgpu') {
      const probe = await probeWebGPU();
      if (probe.reason !== undefined) {
        tried.push({ backend: name, ok: false, reason: probe.reason });
        continue;
      }
      extra = probe.report ?? {};
    }
    if (tf.findBackendFactory(name) === null) {
      tried.push({
        backend: name,
        ok: false,
        reason: `not registered: import '@tensorflow/tfjs-backend-${name}'`,
      });
      extra = {};
      continue;
    }
    let ok = false;
    let reason: string | undefined;
    try {
      ok = await tf.setBackend(name);
      if (ok) await tf.ready();
      else reason = 'tf.setBackend returned false';
    } catch (error) {
      reason = (error as Error).message;
    }
    tried.push({ backend: name, ok, ...(reason ? { reason } : {}) });
    if (ok) {
      chosen = name;
      break;
    }
    extra = {};
  }
  if (chosen === undefined) {
    throw new Error(
      `initBackend: none of the backends [${prefer.join(', ')}] initialised: ${JSON.stringify(tried)}`,
    );
  }
  if (chosen !== prefer[0] && !quiet) warnFallback(chosen, tried.slice(0, -1));
  if (chosen === 'webgl') extra = { maxTextureSize: tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE') };

  let kernelThreads = 0;
  let kernelVariant: KernelVariant | undefined;
  const sharedMemory = sharedMemorySupported();
  if ((chosen === 'wasm' || chosen === 'cpu') && wasmKernels) {
    if (sharedMemory) {
      ({ threads: kernelThreads, variant: kernelVariant } = await registerWasmKernels({ threads }));
    } else {
      tried.push({
        backend: chosen,
        ok: true,
        reason: 'wasm kernels not loaded: SharedArrayBuffer needs a cross-origin-isolated page (COOP + COEP)',
      });
    }
  }
  expectKernelsOn(chosen);
  const tfjsThreads = tfjsWasmThreads();
  return {
    backend: chosen,
    environment,
    floatPrecision: tf.backend().floatPrecision() as 16 | 32,
    tried,
    ...extra,
    wasm: {
      simd: wasmSimdSupported(),
      relaxedSimd: wasmRelaxedSimdSupported(),
      ...(kernelVariant !== undefined ? { kernelVariant } : {}),
      sharedMemory,
      ...(tfjsThreads !== undefined ? { tfjsThreads } : {}),
      kernelThreads,
    },
    kernels: kernelCoverage(chosen),
    gradients: gradientCoverage(chosen),
  };
}
