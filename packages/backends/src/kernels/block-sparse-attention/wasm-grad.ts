import {
  attentionDims,
  type BlockSparseAttentionAttrs,
  blockSparseAttentionGradKernel,
  blockSparseAttentionKernel,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { ALL_FINITE, loadAttentionOperands, PACK_KEYS } from '../../runtime/wasm/attention-buffers.js';
import { wasmFunction } from '../../runtime/wasm/wasm-function.js';
import { copyRowsIn, readInput, type WasmRuntime, writeOutput } from '../../runtime/wasm/wasm-runtime.js';
import { defineKernelImplementation } from '../kernel-implementation.js';
import {
  type BlockListInputs,
  backwardWorkOrder,
  readBlockLists,
  transposeBlockLists,
} from './wasm-grad-lists.js';

const FN = blockSparseAttentionGradKernel.name;

/** `blockSparseBackwardScratchBytes` — bytes of scratch one thread of the backward needs (no parameters). */
const SCRATCH_BYTES = wasmFunction('blockSparseBackwardScratchBytes', [] as const);

/**
 * `packRowTiles` — rows `[planes][len][width]` into each block's 4-row tiles, dimension-major, times `scale`.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `src`, `dst` | byte offsets: rows f32 `[planes, len, width]` → tiles f32 `[planes, ⌈len/bs⌉, ⌈bs/4⌉, width, 4]` |
 * | `planes`, `len`, `width` | planes, rows per plane, row width (a multiple of 8) |
 * | `bs` | block size |
 * | `scale` | multiplier |
 * | `first`, `step` | this thread's planes: first, first + step, … |
 */
const PACK_ROW_TILES = wasmFunction('packRowTiles', [
  'src',
  'dst',
  'planes',
  'len',
  'width',
  'bs',
  'scale',
  'first',
  'step',
] as const);

/**
 * `blockSparseBackwardRowStats` — per tile row: L·log2 e and D = rowsum(dO∘O) (+∞ and 0 in padding slots).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `out`, `dOut` | byte offsets of the forward output and its gradient, f32 `[planes, qLen, dvp]` |
 * | `lse` | byte offset of the forward's natural log-sum-exp, f32 `[planes, qLen]` |
 * | `lse2`, `delta` | byte offsets of the results, f32 `[planes, qBlocks, ⌈bs/4⌉·4]` |
 * | `planes`, `qLen`, `dvp`, `bs` | query planes, rows per plane, padded value dim, block size |
 * | `first`, `step` | this thread's planes |
 */
const ROW_STATS = wasmFunction('blockSparseBackwardRowStats', [
  'out',
  'dOut',
  'lse',
  'lse2',
  'delta',
  'planes',
  'qLen',
  'dvp',
  'bs',
  'first',
  'step',
] as const);

/**
 * `blockSparseAttentionBackward` in assembly/block-sparse-backward.ts: FlashAttention-2's backward over the
 * listed (query block, key block) pairs, on every thread (a work item is one key block of one kv head, taken
 * from `counter` in the order `order` gives).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `q4`, `dO4` | q·scale·log2 e and dO in 4-row tiles per block (`packRowTiles`) |
 * | `qRows`, `dORows` | q and dO row-major, f32 `[planes, qLen, dp / dvp]` |
 * | `kp`, `vp` | keys and values packed by `packKeys`, f32 `[kvPlanes, ⌈kvLen/8⌉, dp / dvp, 8]` |
 * | `kRows` | keys row-major, f32 `[kvPlanes, kvLen, dp]` |
 * | `lse2`, `delta` | per tile row L·log2 e and D (`blockSparseBackwardRowStats`) |
 * | `dqAcc` | this thread's dQ accumulator, f32 `[planes, qBlocks, ⌈bs/4⌉·4, dp]` (zeroed by the kernel) |
 * | `dk`, `dv` | byte offsets of the results, f32 `[kvPlanes, kvLen, dp / dvp]` (every row written) |
 * | `batch`, `heads`, `group` | B, query heads H, query heads per kv head |
 * | `qLen`, `kvLen`, `dp`, `dvp` | lengths and padded dims |
 * | `scale` | the softmax scale (natural: dS carries it) |
 * | `bs`, `maskBatch`, `maskHeads` | block size, the mask's Bm and Hm (1: broadcast) |
 * | `tStarts`, `tPairs` | the transposed block lists (`transposeBlockLists`), i32 |
 * | `masks`, `words` | the bitmasks u32 `[P, bs, words]`, `⌈bs/32⌉` |
 * | `order` | i32 work item ids, costliest first (`backwardWorkOrder`) |
 * | `finite` | bits 0 / 1 / 2 set when q / k / dO hold no NaN or ±∞ (`allFinite`) |
 * | `counter` | the shared i32 work-item counter (zeroed) |
 * | `scratch` | this thread's scratch (`blockSparseBackwardScratchBytes`) |
 */
const BACKWARD = wasmFunction('blockSparseAttentionBackward', [
  'q4',
  'qRows',
  'kp',
  'kRows',
  'vp',
  'dO4',
  'dORows',
  'lse2',
  'delta',
  'dqAcc',
  'dk',
  'dv',
  'batch',
  'heads',
  'group',
  'qLen',
  'kvLen',
  'dp',
  'dvp',
  'scale',
  'bs',
  'maskBatch',
  'maskHeads',
  'tStarts',
  'tPairs',
  'masks',
  'words',
  'order',
  'finite',
  'counter',
  'scratch',
] as const);

/**
 * `blockSparseBackwardDq` — dQ rows `[planes, qLen, dp]` = the sum of the per-thread accumulators.
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `acc`, `accStride`, `threads` | the first accumulator, bytes between two, how many |
 * | `dq` | byte offset of the result |
 * | `planes`, `qLen`, `dp`, `bs` | query planes, rows per plane, padded head dim, block size |
 * | `counter` | a shared i32 work-item counter (zeroed) |
 */
const DQ = wasmFunction('blockSparseBackwardDq', [
  'acc',
  'accStride',
  'threads',
  'dq',
  'planes',
  'qLen',
  'dp',
  'bs',
  'counter',
] as const);

/**
 * The `EABlockSparseAttentionGrad` kernel function over the WebAssembly SIMD module: FlashAttention-2's
 * backward (Dao 2023, Algorithm 2, https://arxiv.org/abs/2307.08691) restricted to the block pairs a compiled
 * BlockMask lists — the same pairs the forward visits, full blocks without a per-element check, partial
 * blocks through their bitmask — so the work is proportional to the visited blocks. P is recomputed from q,
 * k and the forward's row log-sum-exp; D = rowsum(dO∘O); dS = P∘(dP − D). Work items are key blocks (dK and
 * dV rows have one owner), dQ goes to per-thread accumulators summed at the end (no atomics). Rows without
 * a visible key get zero gradients; a masked (row, key) pair contributes nothing even when q, k, v or dO
 * hold NaN (the NaN rule of core's README).
 *
 * @example
 * ```ts
 * await registerWasmKernels(); // registers it for 'wasm' and 'cpu' with the forward
 * const [dq, dk, dv] = blockSparseAttentionGradKernel.runOutputs(
 *   { q, k, v, ...blockMask.toTensors(), out, dOut, logSumExp }, { blockSize: 64, qLen, kvLen, scale });
 * ```
 */
export const blockSparseAttentionGradWasm = defineKernelImplementation({
  contract: blockSparseAttentionGradKernel,
  backend: 'wasm',
  gradientOf: blockSparseAttentionKernel,
  setup: (rt) => blockSparseAttentionGradKernelFunc(rt),
});

const pad8 = (x: number) => Math.ceil(x / 8) * 8;

function blockSparseAttentionGradKernelFunc(rt: WasmRuntime): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v, out, dOut, logSumExp, ...lists } = inputs as Record<
      'q' | 'k' | 'v' | 'out' | 'dOut' | 'logSumExp',
      tf.TensorInfo
    > &
      BlockListInputs;
    // Core's contract resolved the attributes and checked out, dOut and logSumExp against q, k, v.
    const { blockSize: bs, qLen, kvLen, scale } = attrs as unknown as Required<BlockSparseAttentionAttrs>;
    const dims = attentionDims(FN, q, k, v);
    const kb = backend as tf.KernelBackend;
    const mask = readBlockLists(FN, kb, lists, dims, bs);
    const maskPlanes = mask.bm * mask.hm;
    const byKey = transposeBlockLists(mask.merged, maskPlanes, mask.qBlocks, mask.kvBlocks);
    const group = dims.heads / dims.kvHeads;
    const order = backwardWorkOrder(byKey, {
      ...dims,
      group,
      kvBlocks: mask.kvBlocks,
      bm: mask.bm,
      hm: mask.hm,
    });

    // Operands into kernel memory (every input is read before an output is made on the backend's heap).
    const buf = loadAttentionOperands(rt, kb, q, k, v, dims, 1);
    const { arena } = rt;
    const { dp, dvp } = buf;
    const planes = dims.batch * dims.heads;
    const kvPlanes = dims.batch * dims.kvHeads;
    const qRows = planes * qLen;
    const kRows = kvPlanes * kvLen;
    const slots = Math.ceil(bs / 4) * 4;
    const tileRows = planes * mask.qBlocks * slots;
    const alloc = (floats: number) => arena.alloc(floats * 4);
    const vp = alloc(kvPlanes * pad8(kvLen) * dvp);
    const dORows = alloc(qRows * dvp);
    const lse = alloc(qRows);
    const q4 = alloc(tileRows * dp);
    const dO4 = alloc(tileRows * dvp);
    const lse2 = alloc(tileRows);
    const delta = alloc(tileRows);
    const accFloats = tileRows * dp;
    const accStride = Math.ceil((accFloats * 4) / 64) * 64;
    const dqAcc = arena.alloc(accStride * rt.threads);
    const dq = alloc(qRows * dp);
    const dk = alloc(kRows * dp);
    const dv = alloc(kRows * dvp);
    const tStarts = alloc(byKey.starts.length);
    const tPairs = alloc(byKey.pairs.length);
    const masks = alloc(mask.masks.length);
    const orderAt = alloc(order.length);
    const scratchBytes = rt.call(SCRATCH_BYTES, {});
    const scratch = Array.from({ length: rt.threads }, () => arena.alloc(scratchBytes));
    const dqCounter = alloc(1);
    // Views after the last allocation (a grow replaces the memory's buffer).
    copyRowsIn(readInput(kb, out), arena.f32(buf.out, qRows * dvp), qRows, dims.valueDim, dvp);
    copyRowsIn(readInput(kb, dOut), arena.f32(dORows, qRows * dvp), qRows, dims.valueDim, dvp);
    arena.f32(lse, qRows).set(readInput(kb, logSumExp).subarray(0, qRows));
    arena.i32(tStarts, byKey.starts.length).set(byKey.starts);
    arena.i32(tPairs, byKey.pairs.length).set(byKey.pairs);
    arena.i32(masks, mask.masks.length).set(mask.masks);
    arena.i32(orderAt, order.length).set(order);
    arena.i32(dqCounter, 1)[0] = 0;

    rt.call(PACK_KEYS, { k: buf.v, kp: vp, planes: kvPlanes, kvLen, dp: dvp });
    // Partial blocks take the select paths only when a (row, key) product could meet a NaN or ±∞.
    const finite =
      rt.call(ALL_FINITE, { x: buf.q, n: qRows * dp }) |
      (rt.call(ALL_FINITE, { x: buf.k, n: kRows * dp }) << 1) |
      (rt.call(ALL_FINITE, { x: dORows, n: qRows * dvp }) << 2);
    const step = rt.threads;
    rt.run(PACK_ROW_TILES, (t) => ({
      src: buf.q,
      dst: q4,
      planes,
      len: qLen,
      width: dp,
      bs,
      scale: scale * Math.LOG2E,
      first: t,
      step,
    }));
    rt.run(PACK_ROW_TILES, (t) => ({
      src: dORows,
      dst: dO4,
      planes,
      len: qLen,
      width: dvp,
      bs,
      scale: 1,
      first: t,
      step,
    }));
    rt.run(ROW_STATS, (t) => ({
      out: buf.out,
      dOut: dORows,
      lse,
      lse2,
      delta,
      planes,
      qLen,
      dvp,
      bs,
      first: t,
      step,
    }));
    rt.run(BACKWARD, (t) => ({
      q4,
      qRows: buf.q,
      kp: buf.kp,
      kRows: buf.k,
      vp,
      dO4,
      dORows,
      lse2,
      delta,
      dqAcc: dqAcc + t * accStride,
      dk,
      dv,
      batch: dims.batch,
      heads: dims.heads,
      group,
      qLen,
      kvLen,
      dp,
      dvp,
      scale,
      bs,
      maskBatch: mask.bm,
      maskHeads: mask.hm,
      tStarts,
      tPairs,
      masks,
      words: mask.words,
      order: orderAt,
      finite,
      counter: buf.counter,
      scratch: scratch[t]!,
    }));
    rt.run(DQ, () => ({
      acc: dqAcc,
      accStride,
      threads: rt.threads,
      dq,
      planes,
      qLen,
      dp,
      bs,
      counter: dqCounter,
    }));
    return [
      writeOutput(kb, [...q.shape], arena.f32(dq, qRows * dp), qRows, dims.headDim, dp),
      writeOutput(kb, [...k.shape], arena.f32(dk, kRows * dp), kRows, dims.headDim, dp),
      writeOutput(kb, [...v.shape], arena.f32(dv, kRows * dvp), kRows, dims.valueDim, dvp),
    ];
  };
}
