/**
 * Side-effect entry (`@efficient-attention/backends/wasm`, listed in `sideEffects`): importing it loads the
 * WebAssembly SIMD kernel module and registers its kernels for the `wasm` and `cpu` backends with the
 * default thread count. Await {@link wasmKernelsReady} before the first call: until then the contracts run
 * their references.
 *
 * @example
 * ```ts
 * import { wasmKernelsReady } from '@efficient-attention/backends/wasm';
 * await wasmKernelsReady;
 * ```
 *
 * @packageDocumentation
 */
import { registerWasmKernels, type WasmKernelsRegistration } from './runtime/wasm/register-wasm-kernels.js';

/**
 * Resolves once the kernels are registered, or to `undefined` with a warning when the module cannot load (a
 * page without cross-origin isolation has no SharedArrayBuffer): the contracts then keep running their
 * references — a missing kernel is never an error.
 */
export const wasmKernelsReady: Promise<WasmKernelsRegistration | undefined> = registerWasmKernels().catch(
  (error: unknown) => {
    console.warn(
      `@efficient-attention/backends/wasm: the WebAssembly kernels did not load (${(error as Error).message}); ` +
        'the kernel contracts run their tfjs-ops references.',
    );
    return undefined;
  },
);

export { registerWasmKernels, unregisterWasmKernels } from './runtime/wasm/register-wasm-kernels.js';
