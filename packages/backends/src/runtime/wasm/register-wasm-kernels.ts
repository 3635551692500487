import { assertKnownOptions, assertNumber, InvalidArgumentError } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { wasmRelaxedSimdSupported } from '../../capability-report.js';
import { WASM_KERNEL_IMPLEMENTATIONS } from '../../kernels/index.js';
import { registerKernelImplementations } from '../../kernels/register-kernels.js';
import type { KernelVariant } from './kernel-module.js';
import { createWasmRuntime, type WasmRuntime } from './wasm-runtime.js';

/** The tfjs backends the WebAssembly kernels register for (they read and write tensors on the CPU side). */
export const WASM_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;
export type WasmKernelBackend = (typeof WASM_KERNEL_BACKENDS)[number];

/** Options of {@link registerWasmKernels}. */
export interface RegisterWasmKernelsOptions {
  /**
   * Threads every kernel call runs on: the calling thread plus `threads − 1` workers (worker_threads in
   * Node, Web Workers in browsers) over the module's shared memory. Default: 2 where
   * `navigator.hardwareConcurrency` (or Node's `os.availableParallelism()`) allows, else 1. Independent of
   * tfjs's own wasm threads (see {@link enableNodeWasmThreads}).
   */
  threads?: number;
  /** Backends to register for. Default `['wasm', 'cpu']`. */
  backends?: readonly WasmKernelBackend[];
  /**
   * Which build of the kernel module to load: `'relaxed-simd'` (fused multiply-add in the dot products:
   * faster, results within float32 rounding of the other build — whether an `a·b + c` is fused is the
   * CPU's choice), `'simd128'`, or `'auto'`: relaxed SIMD where this runtime validates it (Chromium; Node 20
   * after {@link enableNodeWasmRelaxedSimd}), else SIMD128. Asking for `'relaxed-simd'` where it does not
   * validate is an error. Default `'auto'`.
   */
  simd?: 'auto' | KernelVariant;
}

/** What {@link registerWasmKernels} did. */
export interface WasmKernelsRegistration {
  /** Threads the kernels run on. */
  threads: number;
  /** The build of the kernel module that was loaded. */
  variant: KernelVariant;
  /** Registered `kernelName → backends`. */
  registered: Record<string, WasmKernelBackend[]>;
  /** Kernels left alone because another package had registered them first (e.g. bitnet's `cpu` GEMV). */
  keptExisting: Array<{ kernelName: string; backendName: string }>;
}

const FN = 'registerWasmKernels';

/** The loaded runtime and what this module registered (the one piece of module state: a registry). */
let current:
  | {
      rt: WasmRuntime;
      threads: number;
      variant: KernelVariant;
      ours: Array<{ kernelName: string; backendName: string }>;
    }
  | undefined;
let loading: Promise<WasmKernelsRegistration> | undefined;

function defaultThreads(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Math.min(2, cores ?? 2));
}

/**
 * Loads the package's WebAssembly SIMD kernel module (shipped as `kernels.wasm`), starts its worker
 * threads, and registers its kernels with tfjs's public `registerKernel` for the `wasm` and `cpu` backends:
 * `EAFusedAttention` (flash-style tiling, online softmax, causal, grouped-query; Dao et al. 2022,
 * https://arxiv.org/abs/2205.14135), `EABlockSparseAttention` (the compiled block lists and bitmasks of a
 * BlockMask; https://arxiv.org/abs/2412.05496), `EACausalLinearAttention` (a state scan;
 * https://arxiv.org/abs/2006.16236), `EARope` (https://arxiv.org/abs/2104.09864) and `EATernaryMatMul`
 * (BitNet b1.58, https://arxiv.org/abs/2402.17764). A kernel another package already registered for a
 * backend (bitnet's `cpu` ternary GEMV) is kept. Calling it again with the same threads and build does
 * nothing; with others it restarts the module. Where relaxed SIMD validates (see `options.simd`) the
 * `kernels-relaxed.wasm` build is loaded. Training runs through the kernels: the attention forwards return
 * each row's log-sum-exp for core's registered gradient, and `EAFusedAttentionGrad` is FlashAttention-2's
 * backward (https://arxiv.org/abs/2307.08691); a backward contract without a kernel here runs its tfjs-ops
 * reference.
 *
 * In browsers the page must be cross-origin isolated (COOP `same-origin`, COEP `require-corp`): the module
 * uses a shared memory even with one thread.
 *
 * @example
 * ```ts
 * import { registerWasmKernels } from '@efficient-attention/backends';
 * await registerWasmKernels({ threads: 2 });
 * await tf.setBackend('wasm');
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: true });
 * ```
 */
export async function registerWasmKernels(
  options: RegisterWasmKernelsOptions = {},
): Promise<WasmKernelsRegistration> {
  assertKnownOptions(FN, options, ['threads', 'backends', 'simd']);
  const threads = options.threads ?? defaultThreads();
  assertNumber(FN, 'options.threads', threads, { integer: true, min: 1, max: 64 });
  const backends = options.backends ?? WASM_KERNEL_BACKENDS;
  if (!Array.isArray(backends) || backends.some((b) => !WASM_KERNEL_BACKENDS.includes(b))) {
    throw new InvalidArgumentError(
      FN,
      'options.backends',
      `a list of ${WASM_KERNEL_BACKENDS.join(', ')}`,
      backends,
    );
  }
  const simd = options.simd ?? 'auto';
  if (simd !== 'auto' && simd !== 'simd128' && simd !== 'relaxed-simd') {
    throw new InvalidArgumentError(FN, 'options.simd', "'auto', 'simd128' or 'relaxed-simd'", simd);
  }
  const relaxed = wasmRelaxedSimdSupported();
  if (simd === 'relaxed-simd' && !relaxed) {
    throw new InvalidArgumentError(
      FN,
      'options.simd',
      "'auto' or 'simd128' here: this runtime does not validate relaxed SIMD (in Node 20 call " +
        'enableNodeWasmRelaxedSimd() first)',
      simd,
    );
  }
  const variant: KernelVariant = simd === 'auto' ? (relaxed ? 'relaxed-simd' : 'simd128') : simd;
  while (loading) await loading.catch(() => undefined);
  const task = (async () => {
    if (current === undefined || current.threads !== threads || current.variant !== variant) {
      unregisterWasmKernels();
      const rt = await createWasmRuntime(threads, variant);
      current = { rt, threads, variant, ours: [] };
    }
    const state = current;
    const {
      registered: ours,
      added,
      kept,
    } = registerKernelImplementations(WASM_KERNEL_IMPLEMENTATIONS, state.rt, {
      tfBackends: backends,
      isOurs: (kernelName, backendName) =>
        state.ours.some((o) => o.kernelName === kernelName && o.backendName === backendName),
    });
    state.ours.push(...added);
    const registered: Record<string, WasmKernelBackend[]> = {};
    for (const { kernelName, backendName } of ours) {
      registered[kernelName] = [...(registered[kernelName] ?? []), backendName as WasmKernelBackend];
    }
    const keptExisting: WasmKernelsRegistration['keptExisting'] = kept;
    return { threads: state.rt.threads, variant: state.variant, registered, keptExisting };
  })();
  loading = task;
  try {
    return await task;
  } finally {
    loading = undefined;
  }
}

/**
 * Unregisters the kernels {@link registerWasmKernels} registered and stops its worker threads (tests, or an
 * app switching configurations). Contracts then run their references again.
 *
 * @example
 * ```ts
 * unregisterWasmKernels();
 * ```
 */
export function unregisterWasmKernels(): void {
  if (current === undefined) return;
  for (const { kernelName, backendName } of current.ours) tf.unregisterKernel(kernelName, backendName);
  current.rt.terminate();
  current = undefined;
}
