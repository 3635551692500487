import { type BlockSparseAttentionAttrs, blockSparseAttentionKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { BlockSparseAttentionShape } from '../webgpu/block-sparse-attention-program.js';
import { blockSparseShape } from '../webgpu/block-sparse-attention-webgpu.js';
import { referenceFallback } from '../webgpu/kernel-fallback.js';
import {
  BlockSparseKeyRowsProgram,
  BlockSparseMaskProgram,
  blockSlots,
  MaskedScoreExpProgram,
} from './block-sparse-attention-programs.js';
import { hasFloat32Textures, int32Halves, type WebGLBackendData } from './int32-halves.js';

/** Budget per chunk, in floats, of the score buffer and of the gathered keys and values (each). */
const CHUNK_FLOATS = 1 << 22;

/**
 * Block-sparse attention per chunk of whole query blocks, batched over (batch, head) and the chunk's query
 * blocks: {@link BlockSparseKeyRowsProgram} lists the key rows of each query block's visited slots,
 * `gather` collects those keys and values (`[B·H·blocks, slots·bs, ·]`), a batched `matMul` gives the
 * scores, {@link BlockSparseMaskProgram} scales them and masks forbidden keys, then the row max (tfjs
 * `max`), {@link MaskedScoreExpProgram}, the row sum (tfjs `sum`) and a second batched `matMul` give the
 * output. Chunks keep the score buffer and the gathered rows under {@link CHUNK_FLOATS} floats each; every
 * chunk has the same shape (query blocks past the end read the zero row), so each program compiles once.
 */
function blockSparseChunks(
  backend: WebGLBackendData,
  inputs: tf.NamedTensorInfoMap,
  shape: BlockSparseAttentionShape,
  masks: tf.TensorInfo,
  scale: number,
): tf.Tensor {
  const { batch, heads, kvHeads, qLen, kvLen, headDim: d, valueDim: dv, blockSize: bs } = shape;
  const planes = batch * heads;
  const width = blockSlots(shape) * bs;
  const qBlocks = Math.ceil(qLen / bs);
  const perBlock = planes * width * Math.max(bs, d, dv);
  const blocks = Math.max(1, Math.min(qBlocks, Math.floor(CHUNK_FLOATS / perBlock)));
  const chunks = Math.ceil(qBlocks / blocks);
  const wrap = (info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info);
  const lists = [
    inputs.kvNumBlocks!,
    inputs.kvIndices!,
    inputs.fullKvNumBlocks!,
    inputs.fullKvIndices!,
    inputs.partialMaskOffsets!,
  ];
  const chunk = { ...shape, blocks };
  return tf.tidy(() => {
    // Flattened keys and values with one zero row at the end (what empty slots read).
    const flat = (x: tf.TensorInfo, width: number) =>
      tf.concat([tf.reshape(x as tf.Tensor, [batch * kvHeads * kvLen, width]), tf.zeros([1, width])]);
    const kFlat = flat(inputs.k!, d);
    const vFlat = flat(inputs.v!, dv);
    const paddedRows = chunks * blocks * bs;
    const qRows = tf.reshape(inputs.q! as tf.Tensor, [planes, qLen, d]);
    const q =
      paddedRows > qLen
        ? tf.pad(qRows, [
            [0, 0],
            [0, paddedRows - qLen],
            [0, 0],
          ])
        : qRows;
    const outs: tf.Tensor[] = [];
    for (let c = 0; c < chunks; c++) {
      const r0 = c * blocks;
      outs.push(
        tf.tidy(() => {
          const keyRows = tf.reshape(
            wrap(backend.runWebGLProgram(new BlockSparseKeyRowsProgram(chunk), lists, 'int32', [[r0]])),
            [-1],
          );
          const kg = tf.reshape(tf.gather(kFlat, keyRows), [planes * blocks, width, d]);
          const vg = tf.reshape(tf.gather(vFlat, keyRows), [planes * blocks, width, dv]);
          const qc = tf.reshape(tf.slice(q, [0, r0 * bs, 0], [planes, blocks * bs, d]), [
            planes * blocks,
            bs,
            d,
          ]);
          const scores = tf.reshape(tf.matMul(qc, kg, false, true), [planes, blocks * bs, width]);
          const s = wrap(
            backend.runWebGLProgram(new BlockSparseMaskProgram(chunk), [scores, ...lists, masks], 'float32', [
              [r0],
              [scale],
            ]),
          );
          const m = tf.max(s, -1, true);
          const p = wrap(backend.runWebGLProgram(new MaskedScoreExpProgram(s.shape), [s, m], 'float32'));
          // Rows with no allowed key have l = 0 and a zero numerator: divide by 1 to give zeros.
          const l = tf.sum(p, -1, true);
          const pv = tf.reshape(tf.matMul(tf.reshape(p, [planes * blocks, bs, width]), vg), [
            planes,
            blocks * bs,
            dv,
          ]);
          return tf.div(pv, tf.where(tf.greater(l, 0), l, tf.onesLike(l)));
        }),
      );
    }
    const all = outs.length === 1 ? outs[0]! : tf.concat(outs, 1);
    return tf.reshape(tf.slice(all, [0, 0, 0], [planes, qLen, dv]), [batch, heads, qLen, dv]);
  });
}

/**
 * The `webgl` kernel of core's `EABlockSparseAttention` (Child et al. 2019,
 * https://arxiv.org/abs/1904.10509; FlexAttention's BlockMask layout, https://arxiv.org/abs/2412.05496):
 * gathered, batched `matMul`s (see `blockSparseChunks`, {@link BlockSparseKeyRowsProgram},
 * {@link BlockSparseMaskProgram}). Only the key blocks a query block lists are visited: time is
 * O(B·H · qLen · (maxKv + maxFullKv) · bs · (d + dv)), set by the longest block list (shorter lists are
 * padded to it), so a banded mask costs O(N), not O(N²); memory is bounded per chunk. The bitmasks are u32
 * words, which tfjs-webgl's float32 textures would round, so they are repacked from their exact CPU copy
 * into 16-bit halves once per mask tensor (see {@link int32Halves}). Masks without a CPU copy (computed on
 * the GPU or already uploaded), float16 textures, more than 2^24 key rows and inputs the kernel does not
 * take run core's reference (which raises the validation errors), with a one-time warning. The kernel
 * trusts the mask's contents (what `createBlockMask` builds). Forward only.
 *
 * @example
 * ```ts
 * tf.registerKernel(blockSparseAttentionWebGL);
 * const out = blockSparseAttentionKernel.run({ q, k, v, ...blockMask.toTensors() },
 *   { blockSize: 64, qLen: 4096, kvLen: 4096, scale: 0.125 });
 * ```
 */
export const blockSparseAttentionWebGL: tf.KernelConfig = {
  kernelName: blockSparseAttentionKernel.name,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = (attrs ?? {}) as unknown as BlockSparseAttentionAttrs;
    const fallback = (reason: string) =>
      referenceFallback(blockSparseAttentionKernel, 'webgl', reason, inputs, attrs);
    const shape = blockSparseShape(inputs, a);
    if (shape === undefined)
      return fallback('inputs the kernel does not take (the reference validates them)');
    if (!hasFloat32Textures()) return fallback('float16 textures cannot hold 16-bit halves exactly');
    if (shape.batch * shape.kvHeads * shape.kvLen >= 2 ** 24) {
      return fallback('more than 2^24 key rows (gather indices would not be exact in float textures)');
    }
    const gl = backend as WebGLBackendData;
    const masks = int32Halves(gl, inputs.partialMasks!);
    if (masks === undefined) {
      return fallback(
        'partialMasks has no exact CPU copy (computed on the GPU or already uploaded to a float32 ' +
          'texture, which rounds words above 2^24): pass the tensors of blockMask.toTensors() to this ' +
          'kernel first',
      );
    }
    return blockSparseChunks(gl, inputs, shape, masks, a.scale);
  },
};
