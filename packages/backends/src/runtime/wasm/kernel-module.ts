/**
 * Loading of the package's WebAssembly SIMD kernel module (`kernels.wasm`, built from `assembly/kernels.ts`
 * by `pnpm build:wasm` and shipped in the package) over a shared `WebAssembly.Memory`, plus the bump
 * allocator every kernel call uses.
 */

/**
 * The raw exports of `kernels.wasm` by name (byte offsets into the shared memory; see assembly/kernels.ts).
 * Kernels never call them directly: each declares the functions it uses with {@link wasmFunction} (named
 * parameters, in one place) and calls them through {@link WasmRuntime.call} / {@link WasmRuntime.run}.
 */
export interface KernelExports {
  readonly [name: string]: unknown;
  /** 2^x of `n` float32 values (a multiple of 4) by the kernels' vector exp2: for its accuracy test. */
  exp2Batch(x: number, out: number, n: number): void;
}

/** The exported functions of a compiled kernel module, in export order (how a worker thread is told which to run). */
export function exportedFunctionNames(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name);
}

/** Pages (64 KiB) of the shared memory's maximum: 1 GiB. */
const MAXIMUM_PAGES = 16_384;
const PAGE = 65_536;

/** A loaded kernel module: its compiled form (sent to worker threads), memory and exports. */
export interface KernelModule {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** Which build was loaded. */
  readonly variant: KernelVariant;
  /** First byte the allocator may use. */
  readonly heapBase: number;
}

/**
 * The two builds of `assembly/kernels.ts` the package ships: `'simd128'` (`kernels.wasm`, WebAssembly SIMD)
 * and `'relaxed-simd'` (`kernels-relaxed.wasm`, the same kernels with relaxed SIMD's fused multiply-add in
 * the dot products; Chromium 114+ runs it, Node 20 only after {@link enableNodeWasmRelaxedSimd}).
 */
export type KernelVariant = 'simd128' | 'relaxed-simd';

/**
 * Where a shipped binary sits, next to this file (in `src/runtime/wasm` and in `dist/runtime/wasm`). Each URL is a literal
 * `new URL('…', import.meta.url)`, the form bundlers recognise and emit as an asset.
 */
function binaryUrl(variant: KernelVariant): URL {
  return variant === 'relaxed-simd'
    ? new URL('./kernels-relaxed.wasm', import.meta.url)
    : new URL('./kernels.wasm', import.meta.url);
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** The bytes of a kernel build: `fs` in Node, `fetch` in browsers (bundlers resolve the URL as an asset). */
export async function loadKernelBytes(variant: KernelVariant = 'simd128'): Promise<ArrayBuffer | Uint8Array> {
  const url = binaryUrl(variant);
  if (isNode() && url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    return fs.readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) {
    const file = variant === 'relaxed-simd' ? 'kernels-relaxed.wasm' : 'kernels.wasm';
    throw new Error(
      `@efficient-attention/backends could not fetch its kernel module ${url.href} (HTTP ${response.status}): ` +
        `serve the ${file} file your bundler emitted next to the script that imports the package.`,
    );
  }
  return response.arrayBuffer();
}

/** Whether this environment can share a `WebAssembly.Memory` between threads (cross-origin isolated in browsers). */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return isNode() || isolated === true;
}

/**
 * Compiles and instantiates the kernel module. The memory is shared when the environment allows it (so
 * worker threads can run the same code on it); the module is compiled with an imported shared memory, so
 * without `SharedArrayBuffer` (a page that is not cross-origin isolated) it cannot load at all.
 */
export async function instantiateKernelModule(variant: KernelVariant = 'simd128'): Promise<KernelModule> {
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error(
      '@efficient-attention/backends needs SharedArrayBuffer for its wasm kernels: serve the page with ' +
        '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp".',
    );
  }
  const bytes = await loadKernelBytes(variant);
  const module = await WebAssembly.compile(bytes as BufferSource);
  const memory = new WebAssembly.Memory({ initial: 64, maximum: MAXIMUM_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports & { heapBase: WebAssembly.Global };
  return { module, memory, exports, variant, heapBase: alignUp(Number(exports.heapBase.value), 64) };
}

export function alignUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * A bump allocator over the module's memory, reset at the start of every kernel call (kernels run
 * synchronously, one at a time). Views are re-created after a grow (the buffer object changes). Below the
 * per-call region sits a persistent one (caches, see {@link KernelArena.persist}) that `reset` keeps.
 */
export class KernelArena {
  private top: number;
  private base: number;
  constructor(
    private readonly kernels: KernelModule,
    private readonly floor: number,
  ) {
    this.base = floor;
    this.top = floor;
  }

  /** Frees everything allocated since the last reset (persistent allocations stay). */
  reset(): void {
    this.top = this.base;
  }

  /**
   * Reserves `bytes` that survive {@link KernelArena.reset} until {@link KernelArena.clearPersistent}. Call
   * it right after `reset`, before the call's other allocations.
   */
  persist(bytes: number): number {
    if (this.top !== this.base) throw new Error('KernelArena.persist must come right after reset()');
    const at = this.alloc(bytes);
    this.base = this.top;
    return at;
  }

  /** Bytes held by persistent allocations. */
  persistentBytes(): number {
    return this.base - this.floor;
  }

  /** Frees every persistent allocation (and the call's). */
  clearPersistent(): void {
    this.base = this.floor;
    this.top = this.floor;
  }

  /** Reserves `bytes` (64-byte aligned) and returns the byte offset; grows the memory when needed. */
  alloc(bytes: number): number {
    const at = alignUp(this.top, 64);
    const end = at + alignUp(Math.max(bytes, 1), 64);
    const have = this.kernels.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAXIMUM_PAGES) {
        throw new RangeError(
          `@efficient-attention/backends: this call needs ${Math.ceil(end / 2 ** 20)} MiB of kernel memory, ` +
            `more than the ${MAXIMUM_PAGES / 16} MiB the wasm kernels can address: split the batch or heads.`,
        );
      }
      this.kernels.memory.grow(pages);
    }
    this.top = end;
    return at;
  }

  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, offset, length);
  }

  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.kernels.memory.buffer, offset, length);
  }
}
