import type * as tf from '@tensorflow/tfjs-core';
import type { WasmRuntime } from '../runtime/wasm/wasm-runtime.js';

/**
 * What a backend's kernels are set up with: the loaded WebAssembly module (its memory, allocator and
 * threads) for `wasm`; nothing for `webgl` and `webgpu`, whose device tfjs owns.
 */
export interface KernelRuntimes {
  wasm: WasmRuntime;
  webgl: undefined;
  webgpu: undefined;
}

/** The kernel backends of this package (`wasm` kernels register for tfjs's `wasm` and `cpu` backends). */
export type KernelBackend = keyof KernelRuntimes;

/**
 * One kernel of core's kernel contracts on one backend: the one registration idiom of this package. Each
 * `kernels/<kernel>/<backend>.ts` exports one; `kernels/index.ts` lists them, one list per backend; each
 * backend's register function reads its own list, the capability report all three.
 *
 * @example
 * ```ts
 * export const ropeWebGPU = defineKernelImplementation({
 *   contract: ropeKernel,
 *   backend: 'webgpu',
 *   setup: () => ({ inputs, attrs, backend }) => … ,
 * });
 * ```
 */
export interface KernelImplementation<B extends KernelBackend = KernelBackend> {
  /** The core contract it implements (its `name` is the tfjs kernel name). */
  readonly contract: { readonly name: string };
  readonly backend: B;
  /**
   * For a backward kernel (e.g. `EAFusedAttentionGrad`): the forward contract whose registered gradient runs
   * it. The capability report reads it to tell, per backend, whether training a contract runs kernels.
   */
  readonly gradientOf?: { readonly name: string };
  /** The tfjs kernel function, made once per registration with the backend's runtime. */
  setup(runtime: KernelRuntimes[B]): tf.KernelFunc;
}

/**
 * Declares a {@link KernelImplementation} (frozen; typed so `setup` receives its backend's runtime).
 * Marked `@__NO_SIDE_EFFECTS__`, so a bundler drops a declaration no entry uses.
 *
 * @example
 * ```ts
 * export const ropeWasm = defineKernelImplementation({ contract: ropeKernel, backend: 'wasm', setup: (rt) => ropeKernelFunc(rt) });
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function defineKernelImplementation<B extends KernelBackend>(
  implementation: KernelImplementation<B>,
): KernelImplementation<B> {
  return Object.freeze(implementation);
}
