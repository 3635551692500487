/**
 * `@efficient-attention/backends`: picks the best tfjs backend ({@link initBackend}), reports what it can do,
 * and brings fast kernels for core's kernel contracts — a WebAssembly SIMD module of its own for `wasm` and
 * `cpu` (threads over shared memory), WGSL for `webgpu`, GLSL for `webgl`. Per-backend side-effect entries
 * (`/wasm`, `/webgpu`, `/webgl`) register kernels on import; this entry registers nothing by itself.
 *
 * @packageDocumentation
 */
export {
  type BackendName,
  type CapabilityReport,
  detectEnvironment,
  gradientCoverage,
  kernelCoverage,
  wasmRelaxedSimdSupported,
  wasmSimdSupported,
} from './capability-report.js';
export { type InitBackendOptions, initBackend } from './init-backend.js';
export {
  implementationsFor,
  KERNEL_IMPLEMENTATIONS,
  WASM_KERNEL_IMPLEMENTATIONS,
  WEBGL_KERNEL_IMPLEMENTATIONS,
  WEBGPU_KERNEL_IMPLEMENTATIONS,
} from './kernels/index.js';
export {
  defineKernelImplementation,
  type KernelBackend,
  type KernelImplementation,
  type KernelRuntimes,
} from './kernels/kernel-implementation.js';
export {
  type KernelRegistration,
  kernelConfigs,
  type RegisterKernelImplementationsOptions,
  registerKernelImplementations,
  registerWebGLKernels,
  registerWebGPUKernels,
  WEBGL_KERNELS,
  WEBGPU_KERNELS,
} from './kernels/register-kernels.js';
export { enableNodeWasmRelaxedSimd } from './node-wasm-relaxed-simd.js';
export { enableNodeWasmThreads, type NodeWasmThreadsOptions } from './node-wasm-threads.js';
export type { KernelVariant } from './runtime/wasm/kernel-module.js';
export {
  type RegisterWasmKernelsOptions,
  registerWasmKernels,
  unregisterWasmKernels,
  WASM_KERNEL_BACKENDS,
  type WasmKernelBackend,
  type WasmKernelsRegistration,
} from './runtime/wasm/register-wasm-kernels.js';
export { type WasmArgs, type WasmFunction, wasmFunction } from './runtime/wasm/wasm-function.js';
export type { WasmRuntime } from './runtime/wasm/wasm-runtime.js';
