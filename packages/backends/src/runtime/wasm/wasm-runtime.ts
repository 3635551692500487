import type * as tf from '@tensorflow/tfjs-core';
import {
  instantiateKernelModule,
  KernelArena,
  type KernelModule,
  type KernelVariant,
} from './kernel-module.js';
import { KernelThreadPool } from './kernel-thread-pool.js';
import type { WasmArgs, WasmFunction } from './wasm-function.js';

/** The loaded kernel module, its allocator and its threads. */
export interface WasmRuntime {
  readonly kernels: KernelModule;
  readonly arena: KernelArena;
  /** Threads a call runs on (1 = the calling thread only). */
  readonly threads: number;
  /** Calls `fn` once on the calling thread and returns its result (0 for a `void` export). */
  call<P extends readonly string[]>(fn: WasmFunction<P>, args: WasmArgs<P>): number;
  /**
   * Runs `fn` on every thread with its arguments (thread 0 is the caller): the threaded exports share the
   * work through an atomic counter or by thread index.
   */
  run<P extends readonly string[]>(fn: WasmFunction<P>, argsFor: (thread: number) => WasmArgs<P>): void;
  /** Stops the worker threads. */
  terminate(): void;
}

/** Bytes reserved at the start of the heap for lookup tables (tq1 ternary decoding: 4 KiB). */
export const TABLES_BYTES = 4096;

function exportOf(kernels: KernelModule, name: string): (...args: number[]) => unknown {
  const f = kernels.exports[name];
  if (typeof f !== 'function') {
    throw new Error(`@efficient-attention/backends: the kernel module exports no function "${name}"`);
  }
  return f as (...args: number[]) => unknown;
}

/** Loads a build of the kernel module and starts `threads − 1` worker threads over its shared memory. */
export async function createWasmRuntime(
  threads: number,
  variant: KernelVariant = 'simd128',
): Promise<WasmRuntime> {
  const kernels = await instantiateKernelModule(variant);
  const arena = new KernelArena(kernels, kernels.heapBase + TABLES_BYTES);
  const pool = threads > 1 ? await KernelThreadPool.start(kernels, threads) : undefined;
  return {
    kernels,
    arena,
    threads: pool?.threads ?? 1,
    call(fn, args) {
      return Number(exportOf(kernels, fn.name)(...fn.positional(args)) ?? 0);
    },
    run(fn, argsFor) {
      if (pool) pool.run(fn.name, (t) => fn.positional(argsFor(t)));
      else exportOf(kernels, fn.name)(...fn.positional(argsFor(0)));
    },
    terminate() {
      pool?.terminate();
    },
  };
}

/** The tfjs wasm backend's internals a kernel uses for zero-copy access to its heap (public methods of the class). */
interface WasmBackendHeap {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

function heapOf(backend: unknown): WasmBackendHeap | undefined {
  const b = backend as Partial<WasmBackendHeap>;
  return typeof b.typedArrayFromHeap === 'function' && typeof b.makeOutput === 'function'
    ? (b as WasmBackendHeap)
    : undefined;
}

/**
 * The values of a kernel input: a view of tfjs-wasm's heap (no copy; read it before anything allocates on
 * that heap), or `readSync` on other backends (the cpu backend returns its own array).
 */
export function readInput(backend: tf.KernelBackend, info: tf.TensorInfo): Float32Array | Int32Array {
  const heap = heapOf(backend);
  const values = heap ? heap.typedArrayFromHeap(info) : backend.readSync(info.dataId);
  if (values instanceof Float32Array || values instanceof Int32Array) return values;
  throw new TypeError(`expected float32 or int32 data, got ${info.dtype}`);
}

/**
 * Copies `rows` rows of `width` values into a kernel buffer whose rows are `paddedWidth` wide (the padding
 * is zeroed: padded head dims add nothing to dot products).
 */
export function copyRowsIn(
  src: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  dst: Float32Array | Int32Array,
  rows: number,
  width: number,
  paddedWidth: number,
): void {
  if (width === paddedWidth) {
    dst.set(src.subarray(0, rows * width));
    return;
  }
  dst.fill(0);
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * width, (r + 1) * width), r * paddedWidth);
}

/**
 * Makes a float32 kernel output from a kernel buffer of `rows` rows `paddedWidth` wide, keeping `width`
 * values of each row: written straight into tfjs-wasm's heap, or a fresh array on other backends.
 */
export function writeOutput(
  backend: tf.KernelBackend,
  shape: number[],
  src: Float32Array,
  rows: number,
  width: number,
  paddedWidth: number,
): tf.TensorInfo {
  const heap = heapOf(backend);
  let info: tf.TensorInfo;
  let dst: Float32Array;
  if (heap) {
    info = heap.makeOutput(shape, 'float32');
    dst = heap.typedArrayFromHeap(info) as Float32Array;
  } else {
    dst = new Float32Array(rows * width);
    info = { dataId: backend.write(dst, shape, 'float32'), shape, dtype: 'float32' };
  }
  if (width === paddedWidth) dst.set(src.subarray(0, rows * width));
  else
    for (let r = 0; r < rows; r++) dst.set(src.subarray(r * paddedWidth, r * paddedWidth + width), r * width);
  return info;
}
