import {
  type BlockSparseAttentionAttrs,
  blockSparseAttentionKernel,
  InvalidArgumentError,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import { kernelAttentionDims, loadAttentionOperands } from './attention-buffers.js';
import { readInput, type WasmRuntime, writeOutput } from './wasm-runtime.js';

const FN = blockSparseAttentionKernel.name;

type MaskInputs = Record<
  'kvNumBlocks' | 'kvIndices' | 'fullKvNumBlocks' | 'fullKvIndices' | 'partialMasks' | 'partialMaskOffsets',
  tf.TensorInfo
>;

function expectShape(name: string, t: tf.TensorInfo | undefined, shape: number[]): tf.TensorInfo {
  const ok =
    t !== undefined &&
    t.dtype === 'int32' &&
    t.shape.length === shape.length &&
    shape.every((s, i) => s < 0 || t.shape[i] === s);
  if (!ok)
    throw new InvalidArgumentError(
      FN,
      name,
      `an int32 tensor [${shape.map((s) => (s < 0 ? '·' : s)).join(', ')}]`,
      t?.shape,
    );
  return t;
}

/**
 * Merges each mask row's partial and full key-block lists (both ascending) into one list of (block,
 * partial-mask index or −1) pairs, validated as core's reference validates them, in CSR form:
 * `starts[row]..starts[row + 1]` index `pairs`.
 */
export function mergeBlockLists(
  m: { kvNum: Int32Array; kvIdx: Int32Array; fullNum: Int32Array; fullIdx: Int32Array; offsets: Int32Array },
  rowsCount: number,
  maxKv: number,
  maxFull: number,
  kvBlocks: number,
  numMasks: number,
): { starts: Int32Array; pairs: Int32Array } {
  const starts = new Int32Array(rowsCount + 1);
  let total = 0;
  for (let row = 0; row < rowsCount; row++) {
    const a = m.kvNum[row]!;
    const f = m.fullNum[row]!;
    if (a < 0 || a > maxKv || f < 0 || f > maxFull) {
      throw new InvalidArgumentError(
        FN,
        'kvNumBlocks / fullKvNumBlocks',
        `counts within [0, ${maxKv}] / [0, ${maxFull}]`,
        [a, f],
      );
    }
    total += a + f;
    starts[row + 1] = total;
  }
  const pairs = new Int32Array(2 * total);
  let e = 0;
  for (let row = 0; row < rowsCount; row++) {
    const nPartial = m.kvNum[row]!;
    const nFull = m.fullNum[row]!;
    const first = m.offsets[row]!;
    let a = 0;
    let f = 0;
    let last = -1;
    while (a < nPartial || f < nFull) {
      const pa = a < nPartial ? m.kvIdx[row * maxKv + a]! : Number.POSITIVE_INFINITY;
      const pf = f < nFull ? m.fullIdx[row * maxFull + f]! : Number.POSITIVE_INFINITY;
      const partial = pa <= pf;
      const block = partial ? pa : pf;
      const mask = partial ? first + a : -1;
      if (partial) a++;
      else f++;
      if (block <= last || block >= kvBlocks) {
        throw new InvalidArgumentError(
          FN,
          'kvIndices / fullKvIndices',
          `distinct key-block indices in [0, ${kvBlocks}), ascending in each list`,
          block,
          `(mask row ${row})`,
        );
      }
      if (partial && (mask < 0 || mask >= numMasks)) {
        throw new InvalidArgumentError(FN, 'partialMaskOffsets', `offsets within [0, ${numMasks})`, mask);
      }
      last = block;
      pairs[2 * e] = block;
      pairs[2 * e + 1] = mask;
      e++;
    }
  }
  return { starts, pairs };
}

/**
 * The `EABlockSparseAttention` kernel function over the WebAssembly SIMD module: the fused kernel's inner
 * loop run only over the key blocks a compiled BlockMask lists — full blocks without a per-element check,
 * partial blocks through their bitmask — so the work is proportional to the visited blocks (layout:
 * FlexAttention's BlockMask, https://arxiv.org/abs/2412.05496; Child et al. 2019,
 * https://arxiv.org/abs/1904.10509). Rows without an allowed key give zeros, as in the reference.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'EABlockSparseAttention', backendName: 'wasm', kernelFunc: blockSparseAttentionWasm(rt) });
 * ```
 */
export function blockSparseAttentionWasm(rt: WasmRuntime): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v, ...rest } = inputs as {
      q: tf.TensorInfo;
      k: tf.TensorInfo;
      v: tf.TensorInfo;
    } & MaskInputs;
    const { blockSize: bs, qLen, kvLen, scale } = attrs as unknown as BlockSparseAttentionAttrs;
    const dims = kernelAttentionDims(FN, q, k, v);
    if (!Number.isInteger(bs) || bs < 1)
      throw new InvalidArgumentError(FN, 'attrs.blockSize', 'an integer ≥ 1', bs);
    if (qLen !== dims.qLen) throw new InvalidArgumentError(FN, 'attrs.qLen', `q's length ${dims.qLen}`, qLen);
    if (kvLen !== dims.kvLen)
      throw new InvalidArgumentError(FN, 'attrs.kvLen', `k's length ${dims.kvLen}`, kvLen);
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
      {
        kvNum: read(num),
        kvIdx: read(kvIdx),
        fullNum: read(rest.fullKvNumBlocks),
        fullIdx: read(fullIdx),
        offsets: read(rest.partialMaskOffsets),
      },
      bm * hm * qBlocks,
      kvIdx.shape[3]!,
      fullIdx.shape[3]!,
      kvBlocks,
      masks.shape[0]!,
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
    rt.run('blockSparseAttention', (t) => [
      buf.q,
      buf.kp,
      buf.v,
      buf.out,
      dims.batch,
      dims.heads,
      dims.heads / dims.kvHeads,
      qLen,
      kvLen,
      buf.dp,
      buf.dvp,
      scale * Math.LOG2E,
      bs,
      bm,
      hm,
      startsAt,
      pairsAt,
      masksAt,
      words,
      buf.counter,
      buf.scratch[t]!,
    ]);
    const rows = dims.batch * dims.heads * qLen;
    return writeOutput(
      kb,
      [dims.batch, dims.heads, qLen, dims.valueDim],
      arena.f32(buf.out, rows * buf.dvp),
      rows,
      dims.valueDim,
      buf.dvp,
    );
  };
}
