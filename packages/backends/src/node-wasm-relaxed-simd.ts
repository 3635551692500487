import { detectEnvironment, wasmRelaxedSimdSupported } from './capability-report.js';

/**
 * Node only, opt-in: turns on WebAssembly relaxed SIMD in this process's V8 (Node 20 ships it behind
 * `--experimental-wasm-relaxed-simd`; Chromium 114+ has it on), so that {@link registerWasmKernels} loads
 * the `kernels-relaxed.wasm` build, whose dot products use `f32x4.relaxed_madd` (a fused multiply-add on
 * CPUs with FMA). Call it before `registerWasmKernels`. It sets one V8 flag with `v8.setFlagsFromString`
 * and changes nothing else; the flag applies to every module compiled afterwards in the process (its
 * worker threads included). Nothing calls it on import. Returns whether relaxed SIMD now validates; in a
 * browser it only reports that (a page cannot change it).
 *
 * Measured on the 2-core AMD EPYC development VM (B=1 H=8 d=64 N=4096, 2 threads): see the package README.
 *
 * @example
 * ```ts
 * import { enableNodeWasmRelaxedSimd, registerWasmKernels } from '@efficient-attention/backends';
 * await enableNodeWasmRelaxedSimd(); // true on Node 20+
 * const { variant } = await registerWasmKernels({ threads: 2 }); // 'relaxed-simd'
 * ```
 */
export async function enableNodeWasmRelaxedSimd(): Promise<boolean> {
  if (wasmRelaxedSimdSupported() || detectEnvironment() !== 'node') return wasmRelaxedSimdSupported();
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return wasmRelaxedSimdSupported();
}
