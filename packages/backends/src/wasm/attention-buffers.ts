import { InvalidArgumentError } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { copyRowsIn, readInput, type WasmRuntime } from './wasm-runtime.js';

/** Attention dims of q `[B, H, N, d]`, k `[B, Hkv, M, d]`, v `[B, Hkv, M, dv]`. */
export interface KernelAttentionDims {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
}

/** Checks what a kernel relies on (callers validate first; this guards direct `runKernel` calls). */
export function kernelAttentionDims(
  fn: string,
  q: tf.TensorInfo,
  k: tf.TensorInfo,
  v: tf.TensorInfo,
): KernelAttentionDims {
  for (const [name, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.shape.length !== 4 || t.dtype !== 'float32') {
      throw new InvalidArgumentError(fn, name, 'a float32 tensor [batch, heads, seq, dim]', t.shape);
    }
  }
  const [batch, heads, qLen, headDim] = q.shape as [number, number, number, number];
  const [kb, kvHeads, kvLen, kd] = k.shape as [number, number, number, number];
  const [vb, vh, vLen, valueDim] = v.shape as [number, number, number, number];
  if (kb !== batch || kd !== headDim || kvHeads === 0 || heads % kvHeads !== 0) {
    throw new InvalidArgumentError(
      fn,
      'k.shape',
      `[${batch}, a divisor of ${heads}, kvLen, ${headDim}]`,
      k.shape,
    );
  }
  if (vb !== batch || vh !== kvHeads || vLen !== kvLen) {
    throw new InvalidArgumentError(fn, 'v.shape', `[${batch}, ${kvHeads}, ${kvLen}, valueDim]`, v.shape);
  }
  return { batch, heads, kvHeads, qLen, kvLen, headDim, valueDim };
}

/** Byte offsets of the attention operands in kernel memory (head dims padded to multiples of 8). */
export interface AttentionBuffers {
  q: number;
  kp: number;
  v: number;
  out: number;
  /** One scratch area per thread. */
  scratch: number[];
  /** The shared tile counter (an i32, zeroed). */
  counter: number;
  dp: number;
  dvp: number;
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
  dims: KernelAttentionDims,
  tiles: number,
): AttentionBuffers {
  const { arena, kernels } = rt;
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
  const scratchBytes = kernels.exports.attentionScratchBytes(dp, dvp, tiles);
  const scratch = Array.from({ length: rt.threads }, () => arena.alloc(scratchBytes));
  const counter = arena.alloc(4);
  arena.i32(counter, 1)[0] = 0;
  copyRowsIn(readInput(backend, q), arena.f32(qb, qRows * dp), qRows, dims.headDim, dp);
  copyRowsIn(readInput(backend, k), arena.f32(kb, kRows * dp), kRows, dims.headDim, dp);
  copyRowsIn(readInput(backend, v), arena.f32(vb, kRows * dvp), kRows, dims.valueDim, dvp);
  kernels.exports.packKeys(kb, kp, kvPlanes, dims.kvLen, dp);
  return { q: qb, kp, v: vb, out, scratch, counter, dp, dvp };
}
