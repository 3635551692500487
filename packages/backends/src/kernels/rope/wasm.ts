import { InvalidArgumentError, type RopeAttrs, ropeKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { wasmFunction } from '../../runtime/wasm/wasm-function.js';
import { readInput, type WasmRuntime, writeOutput } from '../../runtime/wasm/wasm-runtime.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

const FN = ropeKernel.name;

/**
 * `rope` in assembly/kernels.ts: rotates each pair of the first `rotaryDim` dims by its row's (cos, sin)
 * and copies the rest (single-threaded).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `x` | byte offset of the input, f32 `[planes, n, d]` |
 * | `cos`, `sin` | byte offsets of the tables, f32 `[n, rotaryDim / 2]` |
 * | `out` | byte offset of the output, f32 `[planes, n, d]` |
 * | `planes` | batch · heads |
 * | `n` | sequence length |
 * | `d` | head dim |
 * | `rotaryDim` | rotated dims (even, ≤ d) |
 * | `interleaved` | 1: pairs (2i, 2i + 1); 0: half-split pairs (i, i + rotaryDim/2) |
 */
const ROPE = wasmFunction('rope', [
  'x',
  'cos',
  'sin',
  'out',
  'planes',
  'n',
  'd',
  'rotaryDim',
  'interleaved',
] as const);

/**
 * The `EARope` kernel function over the WebAssembly SIMD module: one pass over x rotating each pair by its
 * row's (cos, sin) — 4 pairs per SIMD step in the half-split layout — and copying the dimensions past
 * `rotaryDim` (RoFormer eq. 34, https://arxiv.org/abs/2104.09864). Single-threaded (memory-bound).
 *
 * @example
 * ```ts
 * await registerWasmKernels(); // registers ropeWasm.setup(runtime) for 'wasm' and 'cpu'
 * const y = ropeKernel.run({ x, cos, sin }, { layout: 'interleaved', rotaryDim: 32 });
 * ```
 */
export const ropeWasm = defineKernelImplementation({
  contract: ropeKernel,
  backend: 'wasm',
  setup: (rt) => ropeKernelFunc(rt),
});

function ropeKernelFunc(rt: WasmRuntime): tf.KernelFunc {
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
    const { arena } = rt;
    arena.reset();
    const size = b * h * n * d;
    const xAt = arena.alloc(size * 4);
    const cAt = arena.alloc(n * half * 4);
    const sAt = arena.alloc(n * half * 4);
    const outAt = arena.alloc(size * 4);
    arena.f32(xAt, size).set(readInput(kb, x));
    arena.f32(cAt, n * half).set(readInput(kb, cos));
    arena.f32(sAt, n * half).set(readInput(kb, sin));
    rt.call(ROPE, {
      x: xAt,
      cos: cAt,
      sin: sAt,
      out: outAt,
      planes: b * h,
      n,
      d,
      rotaryDim,
      interleaved: layout === 'interleaved' ? 1 : 0,
    });
    return writeOutput(kb, [b, h, n, d], arena.f32(outAt, size), 1, size, size);
  };
}
