import { InvalidArgumentError, type RopeAttrs, ropeKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { readInput, type WasmRuntime, writeOutput } from './wasm-runtime.js';

const FN = ropeKernel.name;

/**
 * The `EARope` kernel function over the WebAssembly SIMD module: one pass over x rotating each pair by its
 * row's (cos, sin) — 4 pairs per SIMD step in the half-split layout — and copying the dimensions past
 * `rotaryDim` (RoFormer eq. 34, https://arxiv.org/abs/2104.09864). Single-threaded (memory-bound).
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'EARope', backendName: 'wasm', kernelFunc: ropeWasm(rt) });
 * ```
 */
export function ropeWasm(rt: WasmRuntime): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, cos, sin } = inputs as { x: tf.TensorInfo; cos: tf.TensorInfo; sin: tf.TensorInfo };
    const { layout, rotaryDim } = attrs as unknown as RopeAttrs;
    if (x?.shape.length !== 4)
      throw new InvalidArgumentError(FN, 'x', 'a float32 tensor [batch, heads, seq, headDim]', x?.shape);
    const [b, h, n, d] = x.shape as [number, number, number, number];
    if (!Number.isInteger(rotaryDim) || rotaryDim < 2 || rotaryDim % 2 !== 0 || rotaryDim > d) {
      throw new InvalidArgumentError(FN, 'attrs.rotaryDim', `an even integer in [2, ${d}]`, rotaryDim);
    }
    if (layout !== 'half-split' && layout !== 'interleaved') {
      throw new InvalidArgumentError(FN, 'attrs.layout', "'half-split' or 'interleaved'", layout);
    }
    const half = rotaryDim / 2;
    for (const [name, t] of [
      ['cos', cos],
      ['sin', sin],
    ] as const) {
      if (t?.shape.length !== 2 || t.shape[0] !== n || t.shape[1] !== half) {
        throw new InvalidArgumentError(FN, `${name}.shape`, `[${n}, ${half}]`, t?.shape);
      }
    }
    const kb = backend as tf.KernelBackend;
    const { arena, kernels } = rt;
    arena.reset();
    const size = b * h * n * d;
    const xAt = arena.alloc(size * 4);
    const cAt = arena.alloc(n * half * 4);
    const sAt = arena.alloc(n * half * 4);
    const outAt = arena.alloc(size * 4);
    arena.f32(xAt, size).set(readInput(kb, x));
    arena.f32(cAt, n * half).set(readInput(kb, cos));
    arena.f32(sAt, n * half).set(readInput(kb, sin));
    kernels.exports.rope(xAt, cAt, sAt, outAt, b * h, n, d, rotaryDim, layout === 'interleaved' ? 1 : 0);
    return writeOutput(kb, [b, h, n, d], arena.f32(outAt, size), 1, size, size);
  };
}
