import { type BlockSparseAttentionAttrs, blockSparseAttentionKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  BLOCK_LIST_NAMES,
  BlockSparseAttentionProgram,
  type BlockSparseAttentionShape,
} from './block-sparse-attention-program.js';
import { attentionDims, referenceFallback } from './kernel-fallback.js';
import { keyTileSize, MAX_WORKGROUPS_PER_DIMENSION, type WebGPUBackendLike } from './webgpu-program.js';

function hasShape(t: tf.TensorInfo | undefined, shape: number[]): boolean {
  return (
    t !== undefined &&
    t.dtype === 'int32' &&
    t.shape.length === shape.length &&
    shape.every((s, i) => s < 0 || t.shape[i] === s)
  );
}

/** The program's shape when the mask tensors have the contract's shapes, else undefined. */
export function blockSparseShape(
  inputs: tf.NamedTensorInfoMap,
  attrs: BlockSparseAttentionAttrs,
): BlockSparseAttentionShape | undefined {
  const dims = attentionDims(inputs.q, inputs.k, inputs.v);
  const { blockSize, qLen, kvLen, scale } = attrs;
  if (dims === undefined || typeof scale !== 'number' || !Number.isInteger(blockSize) || blockSize < 1) {
    return undefined;
  }
  if (qLen !== dims.qLen || kvLen !== dims.kvLen) return undefined;
  const num = inputs.kvNumBlocks;
  if (num === undefined || num.shape.length !== 3) return undefined;
  const [maskBatch, maskHeads] = num.shape as [number, number, number];
  if ((maskBatch !== 1 && maskBatch !== dims.batch) || (maskHeads !== 1 && maskHeads !== dims.heads)) {
    return undefined;
  }
  const rows = [maskBatch, maskHeads, Math.ceil(qLen / blockSize)];
  const ok =
    hasShape(num, rows) &&
    hasShape(inputs.fullKvNumBlocks, rows) &&
    hasShape(inputs.partialMaskOffsets, rows) &&
    hasShape(inputs.kvIndices, [...rows, -1]) &&
    hasShape(inputs.fullKvIndices, [...rows, -1]) &&
    hasShape(inputs.partialMasks, [-1, blockSize, Math.ceil(blockSize / 32)]);
  if (!ok) return undefined;
  return {
    ...dims,
    blockSize,
    maskBatch,
    maskHeads,
    maxKv: inputs.kvIndices!.shape[3]!,
    maxFullKv: inputs.fullKvIndices!.shape[3]!,
  };
}

/**
 * The `webgpu` kernel of core's `EABlockSparseAttention`: runs {@link BlockSparseAttentionProgram}, which
 * visits only the key blocks the compiled mask lists (FlexAttention's BlockMask layout,
 * https://arxiv.org/abs/2412.05496). Inputs the kernel does not take (wrong shapes or attributes, whose
 * error the reference raises; d + dv > 4095; too many workgroups) run core's reference with a one-time
 * warning. Forward only.
 *
 * @example
 * ```ts
 * tf.registerKernel(blockSparseAttentionWebGPU);
 * const out = blockSparseAttentionKernel.run({ q, k, v, ...blockMask.toTensors() },
 *   { blockSize: 64, qLen: 4096, kvLen: 4096, scale: 0.125 });
 * ```
 */
export const blockSparseAttentionWebGPU: tf.KernelConfig = {
  kernelName: blockSparseAttentionKernel.name,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = (attrs ?? {}) as unknown as BlockSparseAttentionAttrs;
    const fallback = (reason: string) =>
      referenceFallback(blockSparseAttentionKernel, 'webgpu', reason, inputs, attrs);
    const shape = blockSparseShape(inputs, a);
    if (shape === undefined)
      return fallback('inputs the kernel does not take (the reference validates them)');
    if (keyTileSize(shape.headDim, shape.valueDim) === 0) return fallback('headDim + valueDim exceeds 4095');
    const program = new BlockSparseAttentionProgram(shape);
    if (
      program.dispatch[0] > MAX_WORKGROUPS_PER_DIMENSION ||
      program.dispatch[1] > MAX_WORKGROUPS_PER_DIMENSION
    ) {
      return fallback('more workgroups than one dispatch allows');
    }
    // One int32 buffer for the five block-list tensors (small: O(query blocks · visited blocks)); WebGPU
    // guarantees only 8 storage buffers per shader stage. The bitmasks stay apart: tfjs-webgpu's concat
    // passes int32 through f32 and would round words above 2^24.
    const lists = tf.tidy(() =>
      tf.concat(BLOCK_LIST_NAMES.map((name) => tf.reshape(inputs[name] as tf.Tensor, [-1]))),
    );
    try {
      return (backend as WebGPUBackendLike).runWebGPUProgram(
        program,
        [inputs.q!, inputs.k!, inputs.v!, lists, inputs.partialMasks!],
        'float32',
        BlockSparseAttentionProgram.uniformValues(shape, a.scale),
      );
    } finally {
      lists.dispose();
    }
  },
};
