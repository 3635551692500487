import { attentionDims, type FusedAttentionAttrs, fusedAttentionKernel } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { DENSE_TILES, loadAttentionOperands } from '../../runtime/wasm/attention-buffers.js';
import { wasmFunction } from '../../runtime/wasm/wasm-function.js';
import { type WasmRuntime, writeOutput } from '../../runtime/wasm/wasm-runtime.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/**
 * `attention` in assembly/kernels.ts: flash-style dense attention over the operands of
 * `loadAttentionOperands`, run on every thread (work items taken from `counter`).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `q` | byte offset of the queries, f32 `[planes, qLen, dp]` (head dim zero-padded to `dp`) |
 * | `kp` | byte offset of the packed keys, f32 `[B·Hkv, ⌈kvLen/8⌉, dp, 8]` (`packKeys`) |
 * | `v` | byte offset of the values, f32 `[B·Hkv, kvLen, dvp]` |
 * | `out` | byte offset of the output, f32 `[planes, qLen, dvp]` |
 * | `lse` | byte offset of each row's natural log-sum-exp, f32 `[planes, qLen]` (−∞: no visible key) |
 * | `planes` | batch · query heads |
 * | `group` | query heads per kv head (grouped-query attention) |
 * | `qLen`, `kvLen` | queries and keys per plane |
 * | `dp`, `dvp` | head dim and value dim, padded to multiples of 8 |
 * | `scale` | the softmax scale times log2(e) (the kernel exponentiates with exp2) |
 * | `causal` | 1: bottom-right aligned causal mask (query i sees keys ≤ i + kvLen − qLen), 0: none |
 * | `vFinite` | 1 when v holds no NaN or ±∞ (`AttentionBuffers.vFinite`) |
 * | `counter` | byte offset of the shared i32 work-item counter (zeroed) |
 * | `scratch` | byte offset of this thread's scratch (`attentionScratchBytes(dp, dvp, DENSE_TILES)`) |
 */
const ATTENTION = wasmFunction('attention', [
  'q',
  'kp',
  'v',
  'out',
  'lse',
  'planes',
  'group',
  'qLen',
  'kvLen',
  'dp',
  'dvp',
  'scale',
  'causal',
  'vFinite',
  'counter',
  'scratch',
] as const);

/**
 * The `EAFusedAttention` kernel function over the WebAssembly SIMD module: flash-style work items of 32 query rows
 * (8 register tiles of 4) × 128 keys with an online softmax (FlashAttention, Dao et al. 2022, https://arxiv.org/abs/2205.14135),
 * causal tiles stopping at their last visible key, grouped-query heads reading their shared kv head. The
 * threads take tiles from a shared atomic counter (balanced under causal masks and a busy OS). Memory O(N·d): no score matrix is materialised.
 * NaN and ±∞ follow core's NaN rule (as the float64 reference): a row sees exactly the NaNs of its visible
 * keys; masked keys never contribute; rows without a visible key are 0.
 *
 * Returns two outputs, `[out, logSumExp]`: logSumExp is float32 `[batch, heads, qLen]`, each row's natural
 * log-sum-exp of its visible scaled scores (−∞ for a row with no visible key, NaN where the row is NaN),
 * which core's registered gradient saves for the backward (`fusedAttentionGradWasm`). A few stores per
 * row: the forward's cost is unchanged.
 *
 * @example
 * ```ts
 * await registerWasmKernels(); // registers fusedAttentionWasm.setup(runtime) for 'wasm' and 'cpu'
 * const out = fusedAttentionKernel.run({ q, k, v }, { scale: 0.125, causal: true });
 * ```
 */
export const fusedAttentionWasm = defineKernelImplementation({
  contract: fusedAttentionKernel,
  backend: 'wasm',
  setup: (rt) => fusedAttentionKernelFunc(rt),
});

function fusedAttentionKernelFunc(rt: WasmRuntime): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v } = inputs as { q: tf.TensorInfo; k: tf.TensorInfo; v: tf.TensorInfo };
    // Core's contract resolved the attributes (a number scale > 0, a boolean causal) before dispatching.
    const { scale, causal } = attrs as unknown as Required<FusedAttentionAttrs>;
    const dims = attentionDims(fusedAttentionKernel.name, q, k, v);
    const kb = backend as tf.KernelBackend;
    const buf = loadAttentionOperands(rt, kb, q, k, v, dims, DENSE_TILES);
    const planes = dims.batch * dims.heads;
    const rows = planes * dims.qLen;
    const lse = rt.arena.alloc(rows * 4);
    rt.run(ATTENTION, (t) => ({
      q: buf.q,
      kp: buf.kp,
      v: buf.v,
      out: buf.out,
      lse,
      planes,
      group: dims.heads / dims.kvHeads,
      qLen: dims.qLen,
      kvLen: dims.kvLen,
      dp: buf.dp,
      dvp: buf.dvp,
      scale: scale * Math.LOG2E,
      causal: causal ? 1 : 0,
      vFinite: buf.vFinite,
      counter: buf.counter,
      scratch: buf.scratch[t]!,
    }));
    return [
      writeOutput(
        kb,
        [dims.batch, dims.heads, dims.qLen, dims.valueDim],
        rt.arena.f32(buf.out, rows * buf.dvp),
        rows,
        dims.valueDim,
        buf.dvp,
      ),
      writeOutput(kb, [dims.batch, dims.heads, dims.qLen], rt.arena.f32(lse, rows), rows, 1, 1),
    ];
  };
}
