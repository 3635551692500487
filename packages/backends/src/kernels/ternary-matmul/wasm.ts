import { type TernaryMatMulAttrs, ternaryMatMulKernel, ternaryWordsPerRow } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { wasmFunction } from '../../runtime/wasm/wasm-function.js';
import { readInput, TABLES_BYTES, type WasmRuntime, writeOutput } from '../../runtime/wasm/wasm-runtime.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/**
 * Bytes of packed weights kept in kernel memory between calls. A model's ternary layers reuse the same
 * weight tensors call after call; the 2-bit words (1 MiB for 2048 × 2048) are copied in once and found by
 * the tensor's data id (tfjs data is immutable) until the budget is full, then the cache starts over.
 */
export const TERNARY_WEIGHT_CACHE_BYTES = 64 * 2 ** 20;

/** Bytes read past a weights buffer: the i2s kernel reads 16 packed bytes at a time. */
const READ_PAST = 16;

// The ternary exports of assembly/kernels.ts (all single-threaded). Offsets are bytes into kernel memory;
// `m` activation rows, `k` weights per row, `n` weight rows (outputs per activation row), `words` packed i32
// words per weight row.

/**
 * `fillTernaryTable` — writes tq1's byte → ternary-lanes table.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `lut` | byte offset of the table, i16 `[256, 8]` (4 KiB, below the arena) |
 */
const FILL_TERNARY_TABLE = wasmFunction('fillTernaryTable', ['lut'] as const);

/**
 * `prepareTernaryActivations` — int32 activations into tq1's int16 lane order (8 lanes per packed byte, 5 used).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `src` | byte offset of the activations, i32 `[m, k]` |
 * | `dst` | byte offset of the lanes, i16 `[m, kPad]` |
 * | `m`, `k` | rows and their length |
 * | `kPad` | lanes per row: `words · 4 · 8` |
 */
const PREPARE_TERNARY_ACTIVATIONS = wasmFunction('prepareTernaryActivations', [
  'src',
  'dst',
  'm',
  'k',
  'kPad',
] as const);

/**
 * `ternaryMatMul` — tq1 product by table: `out[r][c] = f32(Σ a·t) · scales[r] · weightScale`.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `act` | byte offset of the lanes of `prepareTernaryActivations` |
 * | `weights` | byte offset of the packed rows, i32 `[n, words]` |
 * | `lut` | byte offset of the table of `fillTernaryTable` |
 * | `out` | byte offset of the output, f32 `[m, n]` |
 * | `scales` | byte offset of the activation scales, f32 `[m]` |
 * | `weightScale` | the weights' scale β |
 * | `m`, `n`, `words`, `kPad` | as above |
 */
const TERNARY_MAT_MUL = wasmFunction('ternaryMatMul', [
  'act',
  'weights',
  'lut',
  'out',
  'scales',
  'weightScale',
  'm',
  'n',
  'words',
  'kPad',
] as const);

/**
 * `prepareI2sActivations` — int32 activations into i2s's lanes (per 64-weight group, 4 shifts × 16 lanes)
 * and each row's sum.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `src` | byte offset of the activations, i32 `[m, k]` |
 * | `dst` | byte offset of the lanes, `[m, groups, 4, 16]` of `bytes`-wide ints |
 * | `sums` | byte offset of `Σ a` per row, i32 `[m]` |
 * | `m`, `k` | rows and their length |
 * | `groups` | `⌈words / 4⌉` (64 weights each) |
 * | `bytes` | lane width: 1 (i8, relaxed-SIMD build, activations within int8) or 2 (i16) |
 */
const PREPARE_I2S_ACTIVATIONS = wasmFunction('prepareI2sActivations', [
  'src',
  'dst',
  'sums',
  'm',
  'k',
  'groups',
  'bytes',
] as const);

/**
 * `ternaryMatMulI2s` — i2s product without a table: `out[r][c] = f32(Σ code·a − Σ a) · scales[r] · weightScale`.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `act` | byte offset of the lanes of `prepareI2sActivations` |
 * | `weights` | byte offset of the packed rows, i32 `[n, words]`, plus 16 readable bytes after the last |
 * | `sums` | byte offset of the row sums of `prepareI2sActivations` |
 * | `out` | byte offset of the output, f32 `[m, n]` |
 * | `scales` | byte offset of the activation scales, f32 `[m]` |
 * | `weightScale` | the weights' scale β |
 * | `m`, `n`, `words`, `groups`, `bytes` | as above |
 */
const TERNARY_MAT_MUL_I2S = wasmFunction('ternaryMatMulI2s', [
  'act',
  'weights',
  'sums',
  'out',
  'scales',
  'weightScale',
  'm',
  'n',
  'words',
  'groups',
  'bytes',
] as const);

/**
 * The `EATernaryMatMul` kernel function over the WebAssembly SIMD module (BitNet b1.58,
 * https://arxiv.org/abs/2402.17764; kernels after bitnet.cpp, https://arxiv.org/abs/2410.16144).
 *
 * - 'i2s' (2-bit codes): no table. Sixteen packed bytes (64 weights) at a time, the four codes of every byte
 *   shifted and masked onto lanes; activations are laid out once per call to match, so the codes meet their
 *   activations in `i32x4.dot_i16x8_s` (SIMD128) or, in the relaxed-SIMD build when the activations fit in
 *   int8 (the contract), `i16x8.relaxed_dot_i8x16_i7x16_s` (the codes 0..2 are the 7-bit operand).
 *   Codes are t + 1, so Σ t·a = Σ code·a − Σ a.
 * - 'tq1' (base-3 bytes): a 256-entry table turns each byte into its ternary values as int16 lanes for
 *   `i32x4.dot_i16x8_s`.
 *
 * Integer sums are exact, then the contract's two float32 scalings in order, so the result equals core's
 * reference bit for bit. Packed weights are cached in kernel memory by tensor (see
 * {@link TERNARY_WEIGHT_CACHE_BYTES}). Single-threaded: a GEMV is memory-bound. Inputs were validated by
 * core's `ternaryMatMul`.
 *
 * @example
 * ```ts
 * await registerWasmKernels(); // registers ternaryMatMulWasm.setup(runtime) for 'wasm' and 'cpu'
 * const y = ternaryMatMulKernel.run({ activations, weights, weightScale, activationScales }, { k: 2048, n: 512, format: 'i2s' });
 * // With its own weight-cache budget (tests): ternaryMatMulKernelFunc(runtime, { cacheBytes: 1 << 20 })
 * ```
 */
export const ternaryMatMulWasm = defineKernelImplementation({
  contract: ternaryMatMulKernel,
  backend: 'wasm',
  setup: (rt) => ternaryMatMulKernelFunc(rt),
});

/**
 * The kernel function of {@link ternaryMatMulWasm}, with its weight-cache budget as an option.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'EATernaryMatMul', backendName: 'cpu', kernelFunc: ternaryMatMulKernelFunc(rt, { cacheBytes: 1 << 20 }) });
 * ```
 */
export function ternaryMatMulKernelFunc(
  rt: WasmRuntime,
  { cacheBytes = TERNARY_WEIGHT_CACHE_BYTES }: { cacheBytes?: number } = {},
): tf.KernelFunc {
  const { kernels, arena } = rt;
  // The tq1 table (256 × 8 i16) lives below the arena.
  const tq1Table = kernels.heapBase;
  if (TABLES_BYTES < 4096) throw new Error('the ternary table does not fit');
  rt.call(FILL_TERNARY_TABLE, { lut: tq1Table });
  const relaxed = kernels.variant === 'relaxed-simd';
  let generation = 0;
  const cached = new WeakMap<object, { at: number; generation: number }>();

  /** The weights' offset in kernel memory: cached, or copied in now (call right after `arena.reset()`). */
  function weightsIn(backend: tf.KernelBackend, weights: tf.TensorInfo, count: number): number {
    const hit = cached.get(weights.dataId);
    if (hit !== undefined && hit.generation === generation) return hit.at;
    const bytes = count * 4 + READ_PAST;
    let at: number;
    if (bytes > cacheBytes) {
      at = arena.alloc(bytes);
    } else {
      if (arena.persistentBytes() + bytes + 64 > cacheBytes) {
        arena.clearPersistent();
        generation++;
      }
      at = arena.persist(bytes);
      cached.set(weights.dataId, { at, generation });
    }
    arena.i32(at, count).set(readInput(backend, weights));
    return at;
  }

  return ({ inputs, backend, attrs }) => {
    const { activations, weights, weightScale, activationScales } = inputs as Record<string, tf.TensorInfo>;
    const { k, n, format } = attrs as unknown as TernaryMatMulAttrs;
    const kb = backend as tf.KernelBackend;
    const m = activations!.shape[0]!;
    const words = ternaryWordsPerRow(k, format);
    arena.reset();
    const wAt = weightsIn(kb, weights!, n * words);
    const aIn = arena.alloc(m * k * 4);
    const sAt = arena.alloc(m * 4);
    const outAt = arena.alloc(m * n * 4);
    const a = arena.i32(aIn, m * k);
    a.set(readInput(kb, activations!));
    arena.f32(sAt, m).set(readInput(kb, activationScales!));
    const beta = readInput(kb, weightScale!)[0]!;
    if (format === 'i2s') {
      const groups = Math.ceil(words / 4);
      const bytes = relaxed && a.every((x) => x >= -128 && x <= 127) ? 1 : 2;
      const aAt = arena.alloc(m * groups * 64 * bytes);
      const sums = arena.alloc(m * 4);
      rt.call(PREPARE_I2S_ACTIVATIONS, { src: aIn, dst: aAt, sums, m, k, groups, bytes });
      rt.call(TERNARY_MAT_MUL_I2S, {
        act: aAt,
        weights: wAt,
        sums,
        out: outAt,
        scales: sAt,
        weightScale: beta,
        m,
        n,
        words,
        groups,
        bytes,
      });
    } else {
      // Activation lanes: 8 per packed byte, 5 used.
      const kPad = words * 4 * 8;
      const aAt = arena.alloc(m * kPad * 2);
      rt.call(PREPARE_TERNARY_ACTIVATIONS, { src: aIn, dst: aAt, m, k, kPad });
      rt.call(TERNARY_MAT_MUL, {
        act: aAt,
        weights: wAt,
        lut: tq1Table,
        out: outAt,
        scales: sAt,
        weightScale: beta,
        m,
        n,
        words,
        kPad,
      });
    }
    return writeOutput(kb, [m, n], arena.f32(outAt, m * n), 1, m * n, m * n);
  };
}
