import type { BlockSparseAttentionShape } from '../webgpu/block-sparse-attention-program.js';
import type { GPGPUProgramSpec } from './webgl-program.js';

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
