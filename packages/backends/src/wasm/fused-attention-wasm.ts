import { type FusedAttentionAttrs, fusedAttentionKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { DENSE_TILES, kernelAttentionDims, loadAttentionOperands } from './attention-buffers.js';
import { type WasmRuntime, writeOutput } from './wasm-runtime.js';

/**
 * The `EAFusedAttention` kernel function over the WebAssembly SIMD module: flash-style work items of 32 query rows
 * (8 register tiles of 4) × 128 keys with an online softmax (FlashAttention, Dao et al. 2022, https://arxiv.org/abs/2205.14135),
 * causal tiles stopping at their last visible key, grouped-query heads reading their shared kv head. The
 * threads take tiles from a shared atomic counter (balanced under causal masks and a busy OS). Memory O(N·d): no score matrix is materialised.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'EAFusedAttention', backendName: 'wasm', kernelFunc: fusedAttentionWasm(rt) });
 * ```
 */
export function fusedAttentionWasm(rt: WasmRuntime): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v } = inputs as { q: tf.TensorInfo; k: tf.TensorInfo; v: tf.TensorInfo };
    const { scale, causal } = attrs as unknown as FusedAttentionAttrs;
    const dims = kernelAttentionDims(fusedAttentionKernel.name, q, k, v);
    const kb = backend as tf.KernelBackend;
    const buf = loadAttentionOperands(rt, kb, q, k, v, dims, DENSE_TILES);
    const planes = dims.batch * dims.heads;
    rt.run('attention', (t) => [
      buf.q,
      buf.kp,
      buf.v,
      buf.out,
      planes,
      dims.heads / dims.kvHeads,
      dims.qLen,
      dims.kvLen,
      buf.dp,
      buf.dvp,
      scale * Math.LOG2E,
      causal ? 1 : 0,
      buf.counter,
      buf.scratch[t]!,
    ]);
    const rows = planes * dims.qLen;
    return writeOutput(
      kb,
      [dims.batch, dims.heads, dims.qLen, dims.valueDim],
      rt.arena.f32(buf.out, rows * buf.dvp),
      rows,
      dims.valueDim,
      buf.dvp,
    );
  };
}
