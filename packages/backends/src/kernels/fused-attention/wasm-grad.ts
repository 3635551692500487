import {
  type AttentionDims,
  attentionDims,
  type FusedAttentionAttrs,
  fusedAttentionGradKernel,
  fusedAttentionKernel,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { ALL_FINITE } from '../../runtime/wasm/attention-buffers.js';
import { wasmFunction } from '../../runtime/wasm/wasm-function.js';
import { copyRowsIn, readInput, type WasmRuntime, writeOutput } from '../../runtime/wasm/wasm-runtime.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/**
 * `attentionBackward` in assembly/attention-backward.ts: FlashAttention-2's backward, run on every thread
 * (a work item is one tile of 64 keys of one kv head, taken from `counter`). Query rows are padded per
 * plane to qLen4 = ⌈qLen / 4⌉·4.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `qT` | byte offset of q · scale · log2 e in groups of 4 rows, f32 `[planes, qLen4 / 4, dp, 4]` |
 * | `dOT` | byte offset of dOut in groups of 4 rows, f32 `[planes, qLen4 / 4, dvp, 4]` |
 * | `k`, `v` | byte offsets of the keys and values, f32 `[B·Hkv, kvLen, dp]` and `[B·Hkv, kvLen, dvp]` |
 * | `rowLse` | byte offset of each row's log-sum-exp times log2 e, f32 `[planes, qLen4]` |
 * | `rowDelta` | byte offset of D = rowsum(dOut ∘ out), f32 `[planes, qLen4]` |
 * | `dq` | byte offset of this thread's dq accumulator, f32 `[planes, qLen4, dp]` (zeroed) |
 * | `dk`, `dv` | byte offsets of the key and value gradients, f32 like `k` and `v` (may be `k` and `v`) |
 * | `kvPlanes` | batch · kv heads |
 * | `group` | query heads per kv head (grouped-query attention) |
 * | `qLen`, `kvLen` | queries and keys per plane |
 * | `dp`, `dvp` | head dim and value dim, padded to multiples of 8 |
 * | `scale` | the softmax scale |
 * | `causal` | 1: bottom-right aligned causal mask, 0: none |
 * | `finite` | 1 when q, k, v, dOut and D are finite and the log-sum-exp has no NaN or +∞ |
 * | `counter` | byte offset of the shared i32 work-item counter (zeroed) |
 * | `scratch` | byte offset of this thread's scratch (`attentionBackwardScratchBytes(dp, dvp)`) |
 */
const ATTENTION_BACKWARD = wasmFunction('attentionBackward', [
  'qT',
  'dOT',
  'k',
  'v',
  'rowLse',
  'rowDelta',
  'dq',
  'dk',
  'dv',
  'kvPlanes',
  'group',
  'qLen',
  'kvLen',
  'dp',
  'dvp',
  'scale',
  'causal',
  'finite',
  'counter',
  'scratch',
] as const);

/** `attentionBackwardScratchBytes` — bytes of scratch one thread of `attentionBackward` needs. */
const ATTENTION_BACKWARD_SCRATCH_BYTES = wasmFunction('attentionBackwardScratchBytes', [
  'dp',
  'dvp',
] as const);

/**
 * `addInto` — `dst[i] += src[i]` for `n` float32 values (a multiple of 4): the threads' dq accumulators summed.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `dstAt`, `src` | byte offsets |
 * | `n` | how many |
 */
const ADD_INTO = wasmFunction('addInto', ['dstAt', 'src', 'n'] as const);

/**
 * `packRowGroups` — rows `[planes, qLen, padded]` into groups of 4 rows stored dimension-major,
 * `[planes, qLen4 / 4, padded, 4]`, times `factor` (padding rows 0).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `src`, `dstAt` | byte offsets of the rows and of the packed groups |
 * | `planes`, `qLen` | planes and rows per plane |
 * | `padded` | row width, a multiple of 4 |
 * | `factor` | multiplier |
 */
const PACK_ROW_GROUPS = wasmFunction('packRowGroups', [
  'src',
  'dstAt',
  'planes',
  'qLen',
  'padded',
  'factor',
] as const);

/**
 * `rowDeltas` — D = rowsum(a ∘ b) of rows `[planes, qLen, padded]` into `[planes, qLen4]` (padding rows 0).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `a`, `b` | byte offsets of dOut and out, row-major |
 * | `delta` | byte offset of D |
 * | `planes`, `qLen` | planes and rows per plane |
 * | `padded` | row width, a multiple of 4 |
 */
const ROW_DELTAS = wasmFunction('rowDeltas', ['a', 'b', 'delta', 'planes', 'qLen', 'padded'] as const);

const pad8 = (x: number) => Math.ceil(x / 8) * 8;

/**
 * The `EAFusedAttentionGrad` kernel function over the WebAssembly SIMD module: FlashAttention-2's backward
 * (Dao 2023, https://arxiv.org/abs/2307.08691, Algorithm 2). D = rowsum(dO ∘ O) once per row; then every work
 * item — 64 keys of one kv head, all the query heads that read it (grouped-query attention) — recomputes P
 * from q, k and the forward's saved log-sum-exp in steps of 64 query rows and accumulates dV += Pᵀ·dO,
 * dS = P ∘ (dO·Vᵀ − D), dK += scale·dSᵀ·Q into its own rows, and dQ += scale·dS·K into its thread's
 * accumulator (summed at the end: no atomics). Causal steps start at the first row that sees the tile, so
 * fully masked tiles cost nothing. Memory O(N·d) (q and dO packed, k and v overwritten by their gradients, one
 * dq accumulator per thread): no N² buffer. NaN and ±∞ follow core's NaN rule: a pair a row cannot see adds
 * nothing even when its operands are NaN, and rows with no visible key get zero gradients.
 *
 * @example
 * ```ts
 * await registerWasmKernels(); // registers fusedAttentionGradWasm.setup(runtime) for 'wasm' and 'cpu'
 * const [dq, dk, dv] = tf.grads((q, k, v) => fusedAttentionKernel.run({ q, k, v }, { causal: true }))([q, k, v]);
 * ```
 */
export const fusedAttentionGradWasm = defineKernelImplementation({
  contract: fusedAttentionGradKernel,
  backend: 'wasm',
  gradientOf: fusedAttentionKernel,
  setup: (rt) => fusedAttentionGradKernelFunc(rt),
});

type GradInputs = Record<'q' | 'k' | 'v' | 'out' | 'dOut' | 'logSumExp', tf.TensorInfo>;

function fusedAttentionGradKernelFunc(rt: WasmRuntime): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v, out, dOut, logSumExp } = inputs as unknown as GradInputs;
    // Core's contract resolved the attributes and checked out, dOut and logSumExp against q, k, v.
    const { scale, causal } = attrs as unknown as Required<FusedAttentionAttrs>;
    const dims = attentionDims(fusedAttentionGradKernel.name, q, k, v);
    const kb = backend as tf.KernelBackend;
    const { arena } = rt;
    arena.reset();
    const dp = pad8(dims.headDim);
    const dvp = pad8(dims.valueDim);
    const planes = dims.batch * dims.heads;
    const kvPlanes = dims.batch * dims.kvHeads;
    const qLen4 = Math.ceil(dims.qLen / 4) * 4;
    const qRows4 = planes * qLen4;
    const kRows = kvPlanes * dims.kvLen;
    const qT = arena.alloc(qRows4 * dp * 4);
    const dOT = arena.alloc(qRows4 * dvp * 4);
    const kAt = arena.alloc(kRows * dp * 4);
    const vAt = arena.alloc(kRows * dvp * 4);
    const lseAt = arena.alloc(qRows4 * 4);
    const deltaAt = arena.alloc(qRows4 * 4);
    // dK and dV overwrite k and v: a work item reads only its own key rows, and writes their gradients last.
    const dkAt = kAt;
    const dvAt = vAt;
    // One dq accumulator per thread, contiguous: before the run the block stages q, dOut and out row-major
    // (when it is large enough; it is for dv ≤ threads·d), so that the packing runs in the module.
    const dqBytes = qRows4 * dp * 4;
    const dqBlock = arena.alloc(rt.threads * dqBytes);
    const dqAt = Array.from({ length: rt.threads }, (_, t) => dqBlock + t * dqBytes);
    const qRows = planes * dims.qLen;
    const stageBytes = qRows * Math.max(dp, dvp) * 4;
    const stagingFits = 2 * stageBytes <= rt.threads * dqBytes;
    const stageA = stagingFits ? dqBlock : arena.alloc(stageBytes);
    const stageB = stagingFits ? dqBlock + stageBytes : arena.alloc(stageBytes);
    const scratchBytes = rt.call(ATTENTION_BACKWARD_SCRATCH_BYTES, { dp, dvp });
    const scratch = Array.from({ length: rt.threads }, () => arena.alloc(scratchBytes));
    const counter = arena.alloc(4);
    arena.i32(counter, 1)[0] = 0;

    // Inputs in: q and dOut packed by groups of 4 rows, k and v row-major; D = rowsum(dOut ∘ out) and
    // L·log2 e per row.
    copyRowsIn(readInput(kb, q), arena.f32(stageA, qRows * dp), qRows, dims.headDim, dp);
    rt.call(PACK_ROW_GROUPS, {
      src: stageA,
      dstAt: qT,
      planes,
      qLen: dims.qLen,
      padded: dp,
      factor: scale * Math.LOG2E,
    });
    copyRowsIn(readInput(kb, dOut), arena.f32(stageA, qRows * dvp), qRows, dims.valueDim, dvp);
    copyRowsIn(readInput(kb, out), arena.f32(stageB, qRows * dvp), qRows, dims.valueDim, dvp);
    rt.call(ROW_DELTAS, { a: stageA, b: stageB, delta: deltaAt, planes, qLen: dims.qLen, padded: dvp });
    rt.call(PACK_ROW_GROUPS, { src: stageA, dstAt: dOT, planes, qLen: dims.qLen, padded: dvp, factor: 1 });
    copyRowsIn(readInput(kb, k), arena.f32(kAt, kRows * dp), kRows, dims.headDim, dp);
    copyRowsIn(readInput(kb, v), arena.f32(vAt, kRows * dvp), kRows, dims.valueDim, dvp);
    const lseFinite = scaleLogSumExp(readInput(kb, logSumExp), arena.f32(lseAt, qRows4), dims);
    arena.f32(dqBlock, (rt.threads * dqBytes) / 4).fill(0);
    const finite =
      lseFinite &&
      [
        [qT, qRows4 * dp],
        [dOT, qRows4 * dvp],
        [kAt, kRows * dp],
        [vAt, kRows * dvp],
        [deltaAt, qRows4],
      ].every(([x, n]) => rt.call(ALL_FINITE, { x: x!, n: n! }) === 1);

    rt.run(ATTENTION_BACKWARD, (t) => ({
      qT,
      dOT,
      k: kAt,
      v: vAt,
      rowLse: lseAt,
      rowDelta: deltaAt,
      dq: dqAt[t]!,
      dk: dkAt,
      dv: dvAt,
      kvPlanes,
      group: dims.heads / dims.kvHeads,
      qLen: dims.qLen,
      kvLen: dims.kvLen,
      dp,
      dvp,
      scale,
      causal: causal ? 1 : 0,
      finite: finite ? 1 : 0,
      counter,
      scratch: scratch[t]!,
    }));

    // dq: the threads' accumulators summed into the first, then its padding rows dropped (rows only move
    // towards lower addresses, plane by plane).
    const dq = dqAt[0]!;
    for (const at of dqAt.slice(1)) rt.call(ADD_INTO, { dstAt: dq, src: at, n: qRows4 * dp });
    const dqValues = arena.f32(dq, qRows4 * dp);
    if (qLen4 !== dims.qLen) {
      for (let p = 1; p < planes; p++) {
        dqValues.copyWithin(p * dims.qLen * dp, p * qLen4 * dp, (p * qLen4 + dims.qLen) * dp);
      }
    }
    return [
      writeOutput(kb, [...q.shape], dqValues, qRows, dims.headDim, dp),
      writeOutput(kb, [...k.shape], arena.f32(dkAt, kRows * dp), kRows, dims.headDim, dp),
      writeOutput(kb, [...v.shape], arena.f32(dvAt, kRows * dvp), kRows, dims.valueDim, dvp),
    ];
  };
}

/**
 * L·log2 e per row into `[planes, qLen4]` (padding rows 0). Returns whether no log-sum-exp is NaN or +∞
 * (−∞, a row with no visible key, is fine).
 */
function scaleLogSumExp(
  logSumExp: Float32Array | Int32Array,
  lse: Float32Array,
  dims: AttentionDims,
): boolean {
  const planes = dims.batch * dims.heads;
  const qLen4 = Math.ceil(dims.qLen / 4) * 4;
  lse.fill(0);
  let finite = true;
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < dims.qLen; i++) {
      const l = logSumExp[p * dims.qLen + i]!;
      lse[p * qLen4 + i] = l * Math.LOG2E;
      if (Number.isNaN(l) || l === Number.POSITIVE_INFINITY) finite = false;
    }
  }
  return finite;
}
