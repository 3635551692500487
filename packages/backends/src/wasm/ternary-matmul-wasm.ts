import { type TernaryMatMulAttrs, ternaryWordsPerRow } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { readInput, TABLES_BYTES, type WasmRuntime, writeOutput } from './wasm-runtime.js';

/**
 * The `EATernaryMatMul` kernel function over the WebAssembly SIMD module: a 256-entry table turns each
 * packed byte into its ternary values as int16 lanes, and `i32x4.dot_i16x8_s` multiplies 8 of them by 8
 * int16 activations at a time — exact integer sums, then the contract's two float32 scalings in order, so
 * the result equals core's reference bit for bit (BitNet b1.58, https://arxiv.org/abs/2402.17764; table
 * lookup after bitnet.cpp, https://arxiv.org/abs/2410.16144). Single-threaded: a GEMV is memory-bound.
 * Inputs were validated by core's `ternaryMatMul`.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'EATernaryMatMul', backendName: 'wasm', kernelFunc: ternaryMatMulWasm(rt) });
 * ```
 */
export function ternaryMatMulWasm(rt: WasmRuntime): tf.KernelFunc {
  const { kernels } = rt;
  // Tables live below the arena: i2s (256 × 4 i16) then tq1 (256 × 8 i16).
  const tables = { i2s: kernels.heapBase, tq1: kernels.heapBase + 2048 };
  if (TABLES_BYTES < 2048 + 4096) throw new Error('ternary tables do not fit');
  kernels.exports.fillTernaryTable(tables.i2s, 0);
  kernels.exports.fillTernaryTable(tables.tq1, 1);
  return ({ inputs, backend, attrs }) => {
    const { activations, weights, weightScale, activationScales } = inputs as Record<string, tf.TensorInfo>;
    const { k, n, format } = attrs as unknown as TernaryMatMulAttrs;
    const kb = backend as tf.KernelBackend;
    const m = activations!.shape[0]!;
    const words = ternaryWordsPerRow(k, format);
    const code = format === 'i2s' ? 0 : 1;
    // Activation lanes: 16 per word (i2s) or 8 per packed byte, 5 used (tq1).
    const kPad = format === 'i2s' ? words * 16 : words * 4 * 8;
    const { arena } = rt;
    arena.reset();
    const aIn = arena.alloc(m * k * 4);
    const aAt = arena.alloc(m * kPad * 2);
    const wAt = arena.alloc(n * words * 4);
    const sAt = arena.alloc(m * 4);
    const outAt = arena.alloc(m * n * 4);
    arena.i32(aIn, m * k).set(readInput(kb, activations!));
    arena.i32(wAt, n * words).set(readInput(kb, weights!));
    arena.f32(sAt, m).set(readInput(kb, activationScales!));
    const beta = readInput(kb, weightScale!)[0]!;
    kernels.exports.prepareTernaryActivations(aIn, aAt, m, k, kPad, code);
    kernels.exports.ternaryMatMul(
      aAt,
      wAt,
      format === 'i2s' ? tables.i2s : tables.tq1,
      outAt,
      sAt,
      beta,
      m,
      n,
      words,
      kPad,
      code,
      0,
      n,
    );
    return writeOutput(kb, [m, n], arena.f32(outAt, m * n), 1, m * n, m * n);
  };
}
