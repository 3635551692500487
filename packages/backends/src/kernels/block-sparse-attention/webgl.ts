import { type BlockSparseAttentionAttrs, blockSparseAttentionKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { hasFloat32Textures, int32Halves, type WebGLBackendData } from '../../runtime/webgl/int32-halves.js';
import type { GPGPUProgramSpec } from '../../runtime/webgl/webgl-program.js';
import { inputsFinite } from '../fused-attention/webgl.js';
import { type BlockSparseAttentionShape, blockSparseShape, referenceFallback } from '../kernel-fallback.js';
import { defineKernelImplementation } from '../kernel-implementation.js';

/** Score of a masked or empty slot: below any real score, and `exp(x − max)` of it underflows to 0. */
export const EMPTY_SLOT_SCORE = -3e38; // written -3.0e38 in the GLSL below (tested as > -1.0e38)

/** Shape facts of one chunk of query blocks of {@link BlockSparseKeyRowsProgram}, {@link BlockSparseMaskProgram}. */
export interface BlockSparseChunk extends BlockSparseAttentionShape {
  /** Query blocks in the chunk (uniform `r0`: its first block). */
  blocks: number;
}

/** Visited-block slots of a query block: at most `maxFullKv + maxKv` (full blocks first, then partial). */
export function blockSlots(shape: BlockSparseAttentionShape): number {
  return shape.maxFullKv + shape.maxKv;
}

/**
 * GLSL shared by the block-sparse programs: the kv head of a query head, and the key block of
 * visited slot `t` of query block `r` (`-1` past the listed blocks; `maskIndex` the partial block's bitmask
 * index, `-1` for a full block). Block lists are small integers, exact in float textures.
 */
function slotGLSL(shape: BlockSparseAttentionShape): string {
  const group = shape.heads / shape.kvHeads;
  const bm = shape.maskBatch === 1 ? '0' : 'b';
  const hm = shape.maskHeads === 1 ? '0' : 'h';
  return `
    int asInt(float x) { return int(floor(x + 0.5)); }
    int slotBlock(int b, int h, int r, int t, out int maskIndex) {
      int nFull = asInt(getFullNum(${bm}, ${hm}, r));
      maskIndex = -1;
      if (t < nFull) return asInt(getFullIdx(${bm}, ${hm}, r, t));
      if (t < nFull + asInt(getKvNum(${bm}, ${hm}, r))) {
        maskIndex = asInt(getOffsets(${bm}, ${hm}, r)) + t - nFull;
        return asInt(getKvIdx(${bm}, ${hm}, r, t - nFull));
      }
      return -1;
    }
    int kvHeadOf(int h) { return h / ${group}; }
  `;
}

const LIST_NAMES = ['KvNum', 'KvIdx', 'FullNum', 'FullIdx', 'Offsets'];

/**
 * GLSL, pass 1 of the `webgl` block-sparse attention: for a chunk of query blocks, the row of the flattened
 * keys/values `[B·Hkv·kvLen + 1, ·]` each visited slot reads, `[B·H, blocks, slots·bs]` (int32): slot t of
 * query block r holds key block t of its list (full blocks, then partial ones, as FlexAttention's BlockMask,
 * Dong et al. 2024, https://arxiv.org/abs/2412.05496). Empty slots, keys past `kvLen` and query blocks past
 * the end point at the extra zero row `B·Hkv·kvLen`. Inputs: the five block lists. Uniform `r0`: the chunk's
 * first query block.
 *
 * @example
 * ```ts
 * const rows = backend.runWebGLProgram(new BlockSparseKeyRowsProgram(chunk),
 *   [kvNum, kvIdx, fullNum, fullIdx, offsets], 'int32', [[r0]]);
 * ```
 */
export class BlockSparseKeyRowsProgram implements GPGPUProgramSpec {
  readonly variableNames = [...LIST_NAMES];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly customUniforms = [{ name: 'r0', type: 'int' as const }];

  constructor(chunk: BlockSparseChunk) {
    const { heads, kvHeads, blockSize: bs, kvLen, qLen } = chunk;
    const zeroRow = chunk.batch * kvHeads * kvLen;
    this.outputShape = [chunk.batch * heads, chunk.blocks, blockSlots(chunk) * bs];
    this.userCode = `
      ${slotGLSL(chunk)}
      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x / ${heads};
        int h = c.x - b * ${heads};
        int r = r0 + c.y;
        int t = c.z / ${bs};
        int col = c.z - t * ${bs};
        int keyRow = ${zeroRow};
        if (r < ${Math.ceil(qLen / bs)}) {
          int maskIndex;
          int block = slotBlock(b, h, r, t, maskIndex);
          int key = block * ${bs} + col;
          if (block >= 0 && key < ${kvLen}) keyRow = (b * ${kvHeads} + kvHeadOf(h)) * ${kvLen} + key;
        }
        setOutput(float(keyRow));
      }
    `;
  }
}

/**
 * GLSL, pass 2 of the `webgl` block-sparse attention: the gathered scores `S [B·H, blocks·bs, slots·bs]`
 * (query row i of the chunk · key of slot column j) times `scale`, or {@link EMPTY_SLOT_SCORE} where the key
 * is not allowed: an empty slot, a key past `kvLen`, or a 0 bit in the partial block's bitmask. Inputs `S`,
 * the five block lists and `PMasks` (`partialMasks` repacked as 16-bit halves `[P, bs, 2·⌈bs/32⌉]`: bit c
 * of a row is bit `c & 15` of half `c >> 4`). Uniforms `r0` (the chunk's first query block) and `scale`.
 *
 * @example
 * ```ts
 * const s = backend.runWebGLProgram(new BlockSparseMaskProgram(chunk),
 *   [scores, kvNum, kvIdx, fullNum, fullIdx, offsets, halves], 'float32', [[r0], [scale]]);
 * ```
 */
export class BlockSparseMaskProgram implements GPGPUProgramSpec {
  readonly variableNames = ['S', ...LIST_NAMES, 'PMasks'];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly customUniforms = [
    { name: 'r0', type: 'int' as const },
    { name: 'scale', type: 'float' as const },
  ];

  constructor(chunk: BlockSparseChunk) {
    const { heads, blockSize: bs, kvLen, qLen } = chunk;
    this.outputShape = [chunk.batch * heads, chunk.blocks * bs, blockSlots(chunk) * bs];
    this.userCode = `
      ${slotGLSL(chunk)}
      void main() {
        ivec3 c = getOutputCoords();
        int b = c.x / ${heads};
        int h = c.x - b * ${heads};
        int rr = c.y / ${bs};
        int r = r0 + rr;
        int i = c.y - rr * ${bs};
        int t = c.z / ${bs};
        int col = c.z - t * ${bs};
        float s = -3.0e38;
        if (r * ${bs} + i < ${qLen}) {
          int maskIndex;
          int block = slotBlock(b, h, r, t, maskIndex);
          if (block >= 0 && block * ${bs} + col < ${kvLen}) {
            bool allowed = maskIndex < 0 ||
              ((asInt(getPMasks(maskIndex, i, col / 16)) >> (col - 16 * (col / 16))) & 1) == 1;
            if (allowed) s = getS(c.x, c.y, c.z) * scale;
          }
        }
        setOutput(s);
      }
    `;
  }
}

/**
 * GLSL, the softmax numerator of the `webgl` block-sparse attention: `exp(S − M)` where S holds a score and
 * 0 where it holds {@link EMPTY_SLOT_SCORE} (one pass instead of a comparison, a subtraction, an `exp` and a
 * select). Inputs `S [B·H, rows, width]` from {@link BlockSparseMaskProgram} and `M [B·H, rows, 1]`, its row
 * maximum.
 *
 * @example
 * ```ts
 * const p = backend.runWebGLProgram(new MaskedScoreExpProgram(s.shape), [s, tf.max(s, -1, true)], 'float32');
 * ```
 */
export class MaskedScoreExpProgram implements GPGPUProgramSpec {
  readonly variableNames = ['S', 'M'];
  readonly outputShape: number[];
  readonly userCode: string;

  constructor(shape: number[]) {
    this.outputShape = [...shape];
    this.userCode = `
      void main() {
        ivec3 c = getOutputCoords();
        float s = getS(c.x, c.y, c.z);
        setOutput(s > -1.0e38 ? exp(s - getM(c.x, c.y, 0)) : 0.0);
      }
    `;
  }
}

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
 * take run core's reference (which raises the validation errors), with a one-time warning; q, k, v holding
 * NaN or ±∞ run it silently, so the NaN rule holds (see `inputsFinite`). The kernel
 * trusts the mask's contents (what `createBlockMask` builds). Forward only.
 *
 * @example
 * ```ts
 * registerWebGLKernels(); // registers blockSparseAttentionWebGL with the rest
 * const out = blockSparseAttentionKernel.run({ q, k, v, ...blockMask.toTensors() },
 *   { blockSize: 64, qLen: 4096, kvLen: 4096, scale: 0.125 });
 * ```
 */
export const blockSparseAttentionWebGL = defineKernelImplementation({
  contract: blockSparseAttentionKernel,
  backend: 'webgl',
  setup:
    () =>
    ({ inputs, attrs, backend }) => {
      const a = (attrs ?? {}) as unknown as Required<BlockSparseAttentionAttrs>;
      const fallback = (reason: string) =>
        referenceFallback(blockSparseAttentionKernel, 'webgl', reason, inputs, attrs);
      const shape = blockSparseShape(inputs, a);
      if (shape === undefined)
        return fallback('inputs the kernel does not take (the reference validates them)');
      if (!hasFloat32Textures()) return fallback('float16 textures cannot hold 16-bit halves exactly');
      if (shape.batch * shape.kvHeads * shape.kvLen >= 2 ** 24) {
        return fallback('more than 2^24 key rows (gather indices would not be exact in float textures)');
      }
      // The NaN rule: inputs with NaN or ±∞ take the reference (see inputsFinite).
      if (!inputsFinite([inputs.q!, inputs.k!, inputs.v!])) {
        return blockSparseAttentionKernel.reference(
          inputs as unknown as Parameters<typeof blockSparseAttentionKernel.reference>[0],
          a,
        );
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
});
