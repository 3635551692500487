import type { AttentionDims } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { wasmFunction } from './wasm-function.js';
import { copyRowsIn, readInput, type WasmRuntime } from './wasm-runtime.js';

/**
 * `attentionScratchBytes` — bytes of scratch one thread of `attention` / `blockSparseAttention` needs.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `dp`, `dvp` | head dim and value dim, padded to multiples of 8 |
 * | `tiles` | query tiles (4 rows each) a work item holds |
 */
const ATTENTION_SCRATCH_BYTES = wasmFunction('attentionScratchBytes', ['dp', 'dvp', 'tiles'] as const);

/**
 * `packKeys` — keys `[planes][kvLen][dp]` into `[planes][⌈kvLen/8⌉][dp][8]` for the q·kᵀ loop (padding keys 0).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `k` | byte offset of the keys, f32 `[planes, kvLen, dp]` |
 * | `kp` | byte offset of the packed keys, f32 `[planes, ⌈kvLen/8⌉, dp, 8]` |
 * | `planes` | batch · kv heads |
 * | `kvLen` | keys per plane |
 * | `dp` | head dim padded to a multiple of 8 |
 */
export const PACK_KEYS = wasmFunction('packKeys', ['k', 'kp', 'planes', 'kvLen', 'dp'] as const);

/**
 * `allFinite` — 1 when `n` float32 values are all finite, else 0 (one SIMD pass).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `x` | byte offset of the values |
 * | `n` | how many (a multiple of 4) |
 */
export const ALL_FINITE = wasmFunction('allFinite', ['x', 'n'] as const);

/** Byte offsets of the attention operands in kernel memory (head dims padded to multiples of 8). */
export interface AttentionBuffers {
  q: number;
  /** The keys, row-major `[kvPlanes][kvLen][dp]` (the unpacked copy `kp` was packed from). */
  k: number;
  kp: number;
  v: number;
  out: number;
  /** One scratch area per thread. */
  scratch: number[];
  /** The shared tile counter (an i32, zeroed). */
  counter: number;
  dp: number;
  dvp: number;
  /**
   * 1 when v holds no NaN or ±∞ (the kernels' `vFinite`): masked keys may then go through p·v with p = 0;
   * otherwise the kernels select them away, so that a masked NaN value reaches no row (the NaN rule).
   */
  vFinite: number;
}

const pad8 = (x: number) => Math.ceil(x / 8) * 8;

/** Query tiles (4 rows each) the dense kernel holds per work item (`DENSE_TILES` in assembly/kernels.ts). */
export const DENSE_TILES = 8;

/**
 * Copies q, k, v into kernel memory (the arena is reset first) and packs the keys for the q·kᵀ loop; each
 * thread gets scratch for `tiles` query tiles.
 * Memory: q, k, packed k, v and the output — O(N·d), no N² buffer.
 */
export function loadAttentionOperands(
  rt: WasmRuntime,
  backend: tf.KernelBackend,
  q: tf.TensorInfo,
  k: tf.TensorInfo,
  v: tf.TensorInfo,
  dims: AttentionDims,
  tiles: number,
): AttentionBuffers {
  const { arena } = rt;
  arena.reset();
  const dp = pad8(dims.headDim);
  const dvp = pad8(dims.valueDim);
  const qRows = dims.batch * dims.heads * dims.qLen;
  const kRows = dims.batch * dims.kvHeads * dims.kvLen;
  const kvPlanes = dims.batch * dims.kvHeads;
  const qb = arena.alloc(qRows * dp * 4);
  const kb = arena.alloc(kRows * dp * 4);
  const kp = arena.alloc(kvPlanes * pad8(dims.kvLen) * dp * 4);
  const vb = arena.alloc(kRows * dvp * 4);
  const out = arena.alloc(qRows * dvp * 4);
  const scratchBytes = rt.call(ATTENTION_SCRATCH_BYTES, { dp, dvp, tiles });
  const scratch = Array.from({ length: rt.threads }, () => arena.alloc(scratchBytes));
  const counter = arena.alloc(4);
  arena.i32(counter, 1)[0] = 0;
  copyRowsIn(readInput(backend, q), arena.f32(qb, qRows * dp), qRows, dims.headDim, dp);
  copyRowsIn(readInput(backend, k), arena.f32(kb, kRows * dp), kRows, dims.headDim, dp);
  copyRowsIn(readInput(backend, v), arena.f32(vb, kRows * dvp), kRows, dims.valueDim, dvp);
  rt.call(PACK_KEYS, { k: kb, kp, planes: kvPlanes, kvLen: dims.kvLen, dp });
  const vFinite = rt.call(ALL_FINITE, { x: vb, n: kRows * dvp });
  return { q: qb, k: kb, kp, v: vb, out, scratch, counter, dp, dvp, vFinite };
}
