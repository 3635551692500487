import {
  attentionDims,
  type BlockSparseAttentionAttrs,
  blockSparseAttentionKernel,
  InvalidArgumentError,
  mergeBlockLists,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { loadAttentionOperands } from '../../runtime/wasm/attention-buffers.js';
import { wasmFunction } from '../../runtime/wasm/wasm-function.js';
import { readInput, type WasmRuntime, writeOutput } from '../../runtime/wasm/wasm-runtime.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

const FN = blockSparseAttentionKernel.name;

type MaskInputs = Record<
  'kvNumBlocks' | 'kvIndices' | 'fullKvNumBlocks' | 'fullKvIndices' | 'partialMasks' | 'partialMaskOffsets',
  tf.TensorInfo
>;

function expectShape(name: string, t: tf.TensorInfo | undefined, shape: number[]): tf.TensorInfo {
  const what = `an int32 tensor [${shape.map((s) => (s < 0 ? '·' : s)).join(', ')}]`;
  if (t === undefined) throw new InvalidArgumentError(FN, name, what, t);
  // The dtype error prints the dtype, the shape error the shape (each names what it received).
  if (t.dtype !== 'int32') throw new InvalidArgumentError(FN, `${name}.dtype`, '"int32"', t.dtype);
  const ok = t.shape.length === shape.length && shape.every((s, i) => s < 0 || t.shape[i] === s);
  if (!ok) throw new InvalidArgumentError(FN, `${name}.shape`, what, t.shape);
  return t;
}

/**
 * `blockSparseAttention` in assembly/kernels.ts: the fused kernel's inner loop over the listed key blocks
 * only, run on every thread (a work item is one query block, taken from `counter`).
 *
 * | parameter | meaning |
 * | --- | --- |
 * | `q`, `kp`, `v`, `out` | as `attention` (`loadAttentionOperands`): queries, packed keys, values, output |
 * | `lse` | byte offset of each row's natural log-sum-exp, f32 `[B·H, qLen]` (−∞: no visible key) |
 * | `batch`, `heads` | B and query heads H |
 * | `group` | query heads per kv head |
 * | `qLen`, `kvLen` | queries and keys per plane |
 * | `dp`, `dvp` | head dim and value dim, padded to multiples of 8 |
 * | `scale` | the softmax scale times log2(e) |
 * | `bs` | block size |
 * | `maskBatch`, `maskHeads` | the mask's Bm and Hm (1: broadcast) |
 * | `listStarts` | byte offset of core's `mergeBlockLists(…).starts`, i32 `[Bm·Hm·Qb + 1]` |
 * | `lists` | byte offset of its `pairs`, i32 `[entries, 2]`: (key block, partial-mask index or −1) |
 * | `masks` | byte offset of `partialMasks`, u32 `[P, bs, words]` |
 * | `words` | `⌈bs / 32⌉` |
 * | `vFinite` | 1 when v holds no NaN or ±∞ (`AttentionBuffers.vFinite`) |
 * | `counter` | byte offset of the shared i32 work-item counter (zeroed) |
 * | `scratch` | byte offset of this thread's scratch (`attentionScratchBytes(dp, dvp, ⌈bs / 4⌉)`) |
 */
const BLOCK_SPARSE_ATTENTION = wasmFunction('blockSparseAttention', [
  'q',
  'kp',
  'v',
  'out',
  'lse',
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
  'listStarts',
  'lists',
  'masks',
  'words',
  'vFinite',
  'counter',
  'scratch',
] as const);

/**
 * The `EABlockSparseAttention` kernel function over the WebAssembly SIMD module: the fused kernel's inner
 * loop run only over the key blocks a compiled BlockMask lists — full blocks without a per-element check,
 * partial blocks through their bitmask — so the work is proportional to the visited blocks (layout:
 * FlexAttention's BlockMask, https://arxiv.org/abs/2412.05496; Child et al. 2019,
 * https://arxiv.org/abs/1904.10509). Rows without an allowed key give zeros, as in the reference,
 * and NaN and ±∞ follow core's NaN rule: keys under a 0 bit, in skipped blocks or past a block's end never
 * contribute, even holding NaN. Returns `[out, logSumExp]`: logSumExp is float32 `[batch, heads, qLen]`, each
 * row's natural log-sum-exp of its visible scaled scores (−∞: no visible key; NaN where the row is NaN), saved
 * by core's registered gradient for the backward.
 *
 * @example
 * ```ts
 * await registerWasmKernels(); // registers blockSparseAttentionWasm.setup(runtime) for 'wasm' and 'cpu'
 * const out = blockSparseAttentionKernel.run({ q, k, v, ...blockMask.toTensors() },
 *   { blockSize: 64, qLen: 4096, kvLen: 4096, scale: 0.125 });
 * ```
 */
export const blockSparseAttentionWasm = defineKernelImplementation({
  contract: blockSparseAttentionKernel,
  backend: 'wasm',
  setup: (rt) => blockSparseAttentionKernelFunc(rt),
});

function blockSparseAttentionKernelFunc(rt: WasmRuntime): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v, ...rest } = inputs as {
      q: tf.TensorInfo;
      k: tf.TensorInfo;
      v: tf.TensorInfo;
    } & MaskInputs;
    // Core's contract resolved the attributes (blockSize an integer ≥ 1, qLen / kvLen equal to the inputs'
    // lengths, a number scale > 0) before dispatching.
    const { blockSize: bs, qLen, kvLen, scale } = attrs as unknown as Required<BlockSparseAttentionAttrs>;
    const dims = attentionDims(FN, q, k, v);
    const qBlocks = Math.ceil(qLen / bs);
    const kvBlocks = Math.ceil(kvLen / bs);
    const words = Math.ceil(bs / 32);
    const num = rest.kvNumBlocks;
    if (num?.shape.length !== 3)
      throw new InvalidArgumentError(FN, 'kvNumBlocks', 'an int32 tensor [Bm, Hm, qBlocks]', num?.shape);
    const [bm, hm] = num.shape as [number, number, number];
    if (bm !== 1 && bm !== dims.batch)
      throw new InvalidArgumentError(FN, 'kvNumBlocks.shape[0] (mask batch)', `1 or ${dims.batch}`, bm);
    if (hm !== 1 && hm !== dims.heads)
      throw new InvalidArgumentError(FN, 'kvNumBlocks.shape[1] (mask heads)', `1 or ${dims.heads}`, hm);
    const rowShape = [bm, hm, qBlocks];
    expectShape('kvNumBlocks', num, rowShape);
    expectShape('fullKvNumBlocks', rest.fullKvNumBlocks, rowShape);
    expectShape('partialMaskOffsets', rest.partialMaskOffsets, rowShape);
    const kvIdx = expectShape('kvIndices', rest.kvIndices, [...rowShape, -1]);
    const fullIdx = expectShape('fullKvIndices', rest.fullKvIndices, [...rowShape, -1]);
    const masks = expectShape('partialMasks', rest.partialMasks, [-1, bs, words]);
    const kb = backend as tf.KernelBackend;
    const read = (t: tf.TensorInfo) => readInput(kb, t) as Int32Array;
    const lists = mergeBlockLists(
      FN,
      {
        kvNum: read(num),
        kvIdx: read(kvIdx),
        fullNum: read(rest.fullKvNumBlocks),
        fullIdx: read(fullIdx),
        offsets: read(rest.partialMaskOffsets),
      },
      {
        qBlocks,
        planes: bm * hm,
        kvBlocks,
        maxKv: kvIdx.shape[3]!,
        maxFull: fullIdx.shape[3]!,
        numMasks: masks.shape[0]!,
      },
    );
    const maskWords = masks.shape[0]! * bs * words;
    const maskValues = read(masks).slice(0, maskWords);
    const buf = loadAttentionOperands(rt, kb, q, k, v, dims, Math.ceil(bs / 4));
    const { arena } = rt;
    const startsAt = arena.alloc(lists.starts.length * 4);
    const pairsAt = arena.alloc(lists.pairs.length * 4);
    const masksAt = arena.alloc(maskWords * 4);
    arena.i32(startsAt, lists.starts.length).set(lists.starts);
    arena.i32(pairsAt, lists.pairs.length).set(lists.pairs);
    arena.i32(masksAt, maskWords).set(maskValues);
    const rows = dims.batch * dims.heads * qLen;
    const lse = arena.alloc(rows * 4);
    rt.run(BLOCK_SPARSE_ATTENTION, (t) => ({
      q: buf.q,
      kp: buf.kp,
      v: buf.v,
      out: buf.out,
      lse,
      batch: dims.batch,
      heads: dims.heads,
      group: dims.heads / dims.kvHeads,
      qLen,
      kvLen,
      dp: buf.dp,
      dvp: buf.dvp,
      scale: scale * Math.LOG2E,
      bs,
      maskBatch: bm,
      maskHeads: hm,
      listStarts: startsAt,
      lists: pairsAt,
      masks: masksAt,
      words,
      vFinite: buf.vFinite,
      counter: buf.counter,
      scratch: buf.scratch[t]!,
    }));
    return [
      writeOutput(
        kb,
        [dims.batch, dims.heads, qLen, dims.valueDim],
        arena.f32(buf.out, rows * buf.dvp),
        rows,
        dims.valueDim,
        buf.dvp,
      ),
      writeOutput(kb, [dims.batch, dims.heads, qLen], arena.f32(lse, rows), rows, 1, 1),
    ];
  };
}
