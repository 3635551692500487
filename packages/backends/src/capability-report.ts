import { hasKernelFor, listKernelContracts } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { KERNEL_IMPLEMENTATIONS } from './kernels/index.js';

/** Backends {@link initBackend} can pick, fastest first. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** What {@link initBackend} found and chose. */
export interface CapabilityReport {
  /** The active tfjs backend. */
  backend: BackendName;
  /** Where this runs. */
  environment: 'node' | 'browser' | 'worker';
  /** Float precision of the active backend (16 on WebGL devices without float32 textures). */
  floatPrecision: 16 | 32;
  /** Every backend tried, in order, with the reason one was skipped. */
  tried: Array<{ backend: BackendName; ok: boolean; reason?: string }>;
  /** Largest WebGL texture side (webgl only). */
  maxTextureSize?: number;
  /** Largest WebGPU buffer and storage binding, in bytes (webgpu only). */
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  /** WebGPU adapter facts (webgpu only). */
  webgpu?: { features: string[]; shaderF16: boolean; subgroups: boolean; adapter?: string };
  /** WebAssembly facts. */
  wasm: {
    simd: boolean;
    /** Relaxed SIMD validates (the faster `kernels-relaxed.wasm` build can load). */
    relaxedSimd: boolean;
    /** The build of this package's kernel module that is loaded, when one is. */
    kernelVariant?: 'simd128' | 'relaxed-simd';
    /** SharedArrayBuffer usable (Node, or a cross-origin-isolated page): needed by this package's wasm kernels. */
    sharedMemory: boolean;
    /** Threads of tfjs's own wasm backend (when it is active), else undefined. */
    tfjsThreads?: number;
    /** Threads this package's kernels run on (0 when not loaded). */
    kernelThreads: number;
  };
  /**
   * For every kernel contract, forward and backward (`EAFusedAttentionGrad`, …): a registered kernel on the
   * active backend ('kernel'), or the tfjs-ops reference.
   */
  kernels: Record<string, 'kernel' | 'reference'>;
  /**
   * For every forward contract: how training differentiates it on the active backend ({@link gradientCoverage}):
   * 'kernel' when its gradient runs kernels (e.g. `EAFusedAttention` on `wasm`/`cpu` and `webgpu`, whose
   * backward kernels are registered), 'reference' when it runs tfjs ops — on `webgl`, the attention
   * gradients run their backward contracts' tfjs-ops references (O(N²) memory), as issue 18 allows.
   */
  gradients: Record<string, 'kernel' | 'reference'>;
}

/**
 * The environment this code runs in.
 *
 * @example
 * ```ts
 * detectEnvironment(); // 'node' | 'browser' | 'worker'
 * ```
 */
export function detectEnvironment(): CapabilityReport['environment'] {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown };
  if (typeof g.process?.versions?.node === 'string') return 'node';
  return g.document === undefined ? 'worker' : 'browser';
}

/**
 * Whether WebAssembly SIMD (https://github.com/WebAssembly/simd) validates here: a module with one v128
 * constant, the probe of wasm-feature-detect.
 *
 * @example
 * ```ts
 * if (!wasmSimdSupported()) console.warn('no wasm SIMD: the wasm kernels cannot load');
 * ```
 */
export function wasmSimdSupported(): boolean {
  try {
    return WebAssembly.validate(
      new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253,
        98, 11,
      ]),
    );
  } catch {
    return false;
  }
}

/**
 * Whether WebAssembly relaxed SIMD (https://github.com/WebAssembly/relaxed-simd) validates here: a module
 * with one `f32x4.relaxed_madd`. True in Chromium 114+; in Node 20 only after
 * {@link enableNodeWasmRelaxedSimd}.
 *
 * @example
 * ```ts
 * wasmRelaxedSimdSupported(); // true in Chromium: registerWasmKernels loads kernels-relaxed.wasm
 * ```
 */
export function wasmRelaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(
      new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 1, 253, 17, 65,
        1, 253, 17, 65, 1, 253, 17, 253, 133, 2, 11,
      ]),
    );
  } catch {
    return false;
  }
}

/**
 * Which kernel contracts have a kernel registered on a backend ('kernel') and which run their reference:
 * every contract core lists plus every contract this package's kernel lists (`KERNEL_IMPLEMENTATIONS`, the
 * three per-backend lists of `kernels/index.ts`) implement, so a new kernel shows up here by being listed.
 *
 * @example
 * ```ts
 * kernelCoverage('cpu'); // { EAFusedAttention: 'kernel', … } after registerWasmKernels, else 'reference'
 * ```
 */
export function kernelCoverage(backendName: string): Record<string, 'kernel' | 'reference'> {
  const out: Record<string, 'kernel' | 'reference'> = {};
  const names = new Set([...listKernelContracts(), ...KERNEL_IMPLEMENTATIONS.map((k) => k.contract.name)]);
  for (const name of names) out[name] = hasKernelFor({ name }, backendName) ? 'kernel' : 'reference';
  return out;
}

/**
 * How training differentiates each forward kernel contract on a backend — 'kernel' when the backward runs
 * kernels, 'reference' when it runs tfjs ops:
 *
 * - a contract without a registered gradient (`tf.getGradient`) runs its reference while a gradient tape
 *   records (core's "no tape breaks"): 'reference';
 * - a contract whose gradient runs backward contracts (the implementations that declare `gradientOf` it, such
 *   as `EAFusedAttentionGrad` for `EAFusedAttention`): 'kernel' when it and each of them have a kernel on the
 *   backend; without one, that backward contract runs its tfjs-ops reference (`webgl` has no attention
 *   backward kernels);
 * - a contract whose gradient has no backward contract of its own runs through its forward kernel (RoPE:
 *   the rotation by −θ; causal linear attention: its scans; ternary matmul: the transposed product):
 *   'kernel' when it has one.
 *
 * Backward contracts themselves are not keys (see {@link kernelCoverage} for them).
 *
 * @example
 * ```ts
 * gradientCoverage('webgl'); // { EAFusedAttention: 'reference', EARope: 'kernel', … } with /webgl's kernels
 * ```
 */
export function gradientCoverage(backendName: string): Record<string, 'kernel' | 'reference'> {
  const backwardOf = new Map<string, Set<string>>();
  for (const k of KERNEL_IMPLEMENTATIONS) {
    if (k.gradientOf === undefined) continue;
    const set = backwardOf.get(k.gradientOf.name) ?? new Set<string>();
    set.add(k.contract.name);
    backwardOf.set(k.gradientOf.name, set);
  }
  const backward = new Set([...backwardOf.values()].flatMap((set) => [...set]));
  const names = new Set([...listKernelContracts(), ...KERNEL_IMPLEMENTATIONS.map((k) => k.contract.name)]);
  const out: Record<string, 'kernel' | 'reference'> = {};
  for (const name of [...names].sort()) {
    if (backward.has(name)) continue;
    const runs = [name, ...(backwardOf.get(name) ?? [])];
    const fast =
      tf.getGradient(name) !== undefined && runs.every((n) => hasKernelFor({ name: n }, backendName));
    out[name] = fast ? 'kernel' : 'reference';
  }
  return out;
}

/**
 * Threads of tfjs-wasm's XNNPACK pool when `wasm` is the active backend, else undefined.
 *
 * @example
 * ```ts
 * tfjsWasmThreads(); // 1 in Node unless enableNodeWasmThreads() ran first
 * ```
 */
export function tfjsWasmThreads(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const b = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  const n = b.wasm?.tfjs?.getThreadsCount?.();
  return typeof n === 'number' ? n : undefined;
}
