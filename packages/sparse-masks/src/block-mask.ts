import { type AttentionDims, InvalidArgumentError, type MaskMod } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { popcount32 } from './bit-slab.js';
import { lowerBound } from './lower-bound.js';

/**
 * The compiled form of a mask, as tensors, in the layout of `EABlockSparseAttention` (core's
 * `BlockSparseAttentionInputs`, which documents every field). Created by {@link BlockMask.toTensors}; the
 * caller disposes them.
 */
export interface BlockMaskTensors {
  kvNumBlocks: tf.Tensor3D;
  kvIndices: tf.Tensor4D;
  fullKvNumBlocks: tf.Tensor3D;
  fullKvIndices: tf.Tensor4D;
  partialMasks: tf.Tensor3D;
  partialMaskOffsets: tf.Tensor3D;
}

/** The fields of a {@link BlockMask}; produced by `createBlockMask`. */
export interface BlockMaskData {
  readonly qLen: number;
  readonly kvLen: number;
  readonly blockSize: number;
  /** Batch dimension of the mask: 1 (broadcast) or the batch size it was built for. */
  readonly batch: number;
  /** Head dimension of the mask: 1 (broadcast) or the number of query heads it was built for. */
  readonly heads: number;
  readonly kvNumBlocks: Int32Array;
  readonly kvIndices: Int32Array;
  readonly maxKvBlocks: number;
  readonly fullKvNumBlocks: Int32Array;
  readonly fullKvIndices: Int32Array;
  readonly maxFullKvBlocks: number;
  readonly partialMasks: Int32Array;
  readonly partialMaskOffsets: Int32Array;
  readonly numPartialBlocks: number;
  readonly maskMod: MaskMod;
  readonly description: string;
}

/**
 * A mask compiled to blocks, as PyTorch FlexAttention's `BlockMask`: per `[batch | 1, head | 1, query block]`
 * the key blocks to visit, split into partial blocks (`kvNumBlocks`, `kvIndices`, each with a bitmask in
 * `partialMasks`) and full blocks (`fullKvNumBlocks`, `fullKvIndices`: no per-element check). Blocks in
 * neither list are skipped. The arrays are row-major with the shapes of {@link BlockMaskTensors}; treat them
 * as read-only. It remembers the lengths it was built for, and attention refuses other lengths.
 *
 * Build one with `createBlockMask`; FlexAttention (Dong et al. 2024): https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const mask = createBlockMask(slidingWindow({ radius: 2 }), 8, 8, { blockSize: 2 });
 * mask.sparsity(); // 0.25: 12 of 16 blocks are visited
 * console.log(mask.toString());
 * ```
 */
export class BlockMask implements BlockMaskData {
  readonly qLen!: number;
  readonly kvLen!: number;
  readonly blockSize!: number;
  readonly batch!: number;
  readonly heads!: number;
  /** `[batch, heads, numQBlocks]`: partial key blocks per query block. */
  readonly kvNumBlocks!: Int32Array;
  /** `[batch, heads, numQBlocks, maxKvBlocks]`: their indices, ascending (padding 0). */
  readonly kvIndices!: Int32Array;
  readonly maxKvBlocks!: number;
  /** `[batch, heads, numQBlocks]`: full key blocks per query block. */
  readonly fullKvNumBlocks!: Int32Array;
  /** `[batch, heads, numQBlocks, maxFullKvBlocks]`: their indices, ascending (padding 0). */
  readonly fullKvIndices!: Int32Array;
  readonly maxFullKvBlocks!: number;
  /** `[max(1, numPartialBlocks), blockSize, wordsPerRow]`: one bitmask per partial block (row-major, LSB first). */
  readonly partialMasks!: Int32Array;
  /** `[batch, heads, numQBlocks]`: index in `partialMasks` of each query block's first partial block. */
  readonly partialMaskOffsets!: Int32Array;
  readonly numPartialBlocks!: number;
  /** The predicate the mask was built from (dense references use it). */
  readonly maskMod!: MaskMod;
  /** What the mask is, e.g. `slidingWindow(before=2, after=2)`. */
  readonly description!: string;

  constructor(data: BlockMaskData) {
    Object.assign(this, data);
    Object.freeze(this);
  }

  /** Number of query blocks, ⌈qLen / blockSize⌉. */
  get numQBlocks(): number {
    return Math.ceil(this.qLen / this.blockSize);
  }

  /** Number of key blocks, ⌈kvLen / blockSize⌉. */
  get numKvBlocks(): number {
    return Math.ceil(this.kvLen / this.blockSize);
  }

  /** 32-bit words per bitmask row, ⌈blockSize / 32⌉. */
  get wordsPerRow(): number {
    return Math.ceil(this.blockSize / 32);
  }

  /** Index of the (b, h) plane of the mask (broadcast dims read plane 0). */
  private plane(b: number, h: number): number {
    return (this.batch === 1 ? 0 : b) * this.heads + (this.heads === 1 ? 0 : h);
  }

  /** Whether query `q` of (b, h) may attend key `kv`, read from the compiled blocks. */
  allows(b: number, h: number, q: number, kv: number): boolean {
    if (q < 0 || q >= this.qLen || kv < 0 || kv >= this.kvLen) return false;
    const bs = this.blockSize;
    const row = this.plane(b, h) * this.numQBlocks + Math.floor(q / bs);
    const j = Math.floor(kv / bs);
    const full = this.fullKvIndices.subarray(
      row * this.maxFullKvBlocks,
      row * this.maxFullKvBlocks + this.fullKvNumBlocks[row]!,
    );
    const f = lowerBound(full, j);
    if (f < full.length && full[f] === j) return true;
    const partial = this.kvIndices.subarray(
      row * this.maxKvBlocks,
      row * this.maxKvBlocks + this.kvNumBlocks[row]!,
    );
    const p = lowerBound(partial, j);
    if (p >= partial.length || partial[p] !== j) return false;
    const m = this.partialMaskOffsets[row]! + p;
    const c = kv - j * bs;
    const word = this.partialMasks[(m * bs + (q % bs)) * this.wordsPerRow + (c >> 5)]!;
    return ((word >>> (c & 31)) & 1) === 1;
  }

  /**
   * The fraction of blocks skipped, in [0, 1] (FlexAttention's `sparsity()` gives the same as a
   * percentage): 1 − visited blocks / all blocks, over every (batch, head) plane of the mask.
   */
  sparsity(): number {
    let visited = 0;
    for (let i = 0; i < this.kvNumBlocks.length; i++)
      visited += this.kvNumBlocks[i]! + this.fullKvNumBlocks[i]!;
    return 1 - visited / (this.kvNumBlocks.length * this.numKvBlocks);
  }

  /** Number of allowed (query, key) pairs per plane, summed over planes. */
  allowedPairs(): number {
    const bs = this.blockSize;
    let total = 0;
    for (let row = 0; row < this.kvNumBlocks.length; row++) {
      const r = row % this.numQBlocks;
      const rows = Math.min(bs, this.qLen - r * bs);
      for (let s = 0; s < this.fullKvNumBlocks[row]!; s++) {
        const j = this.fullKvIndices[row * this.maxFullKvBlocks + s]!;
        total += rows * Math.min(bs, this.kvLen - j * bs);
      }
    }
    for (let i = 0; i < this.numPartialBlocks * bs * this.wordsPerRow; i++)
      total += popcount32(this.partialMasks[i]!);
    return total;
  }

  /**
   * The block layout as text: one line per query block, one character per key block — `█` full, `░`
   * partial, `·` skipped — under a header with the lengths and sparsity, each (batch, head) plane in turn.
   */
  toString(): string {
    const lines = [
      `BlockMask(${this.description}; qLen=${this.qLen}, kvLen=${this.kvLen}, blockSize=${this.blockSize}, ` +
        `batch=${this.batch}, heads=${this.heads}, sparsity=${(100 * this.sparsity()).toFixed(1)}%)`,
    ];
    for (let b = 0; b < this.batch; b++) {
      for (let h = 0; h < this.heads; h++) {
        if (this.batch * this.heads > 1) lines.push(`b=${b} h=${h}`);
        for (let r = 0; r < this.numQBlocks; r++) {
          const row = this.plane(b, h) * this.numQBlocks + r;
          const chars = Array<string>(this.numKvBlocks).fill('·');
          for (let s = 0; s < this.fullKvNumBlocks[row]!; s++)
            chars[this.fullKvIndices[row * this.maxFullKvBlocks + s]!] = '█';
          for (let s = 0; s < this.kvNumBlocks[row]!; s++)
            chars[this.kvIndices[row * this.maxKvBlocks + s]!] = '░';
          lines.push(chars.join(''));
        }
      }
    }
    return lines.join('\n');
  }

  /**
   * The element-level mask the blocks encode, as a boolean tensor `[batch, heads, qLen, kvLen]` (equal to
   * `createMask` of the same predicate; FlexAttention's `to_dense()` returns the block-level grid instead).
   */
  toDense(): tf.Tensor4D {
    const data = new Uint8Array(this.batch * this.heads * this.qLen * this.kvLen);
    let i = 0;
    for (let b = 0; b < this.batch; b++)
      for (let h = 0; h < this.heads; h++)
        for (let q = 0; q < this.qLen; q++)
          for (let kv = 0; kv < this.kvLen; kv++) data[i++] = this.allows(b, h, q, kv) ? 1 : 0;
    return tf.tensor4d(data, [this.batch, this.heads, this.qLen, this.kvLen], 'bool');
  }

  /** New int32 tensors of the compiled data, for `EABlockSparseAttention`; the caller disposes them. */
  toTensors(): BlockMaskTensors {
    const rows: [number, number, number] = [this.batch, this.heads, this.numQBlocks];
    return {
      kvNumBlocks: tf.tensor3d(this.kvNumBlocks, rows, 'int32'),
      kvIndices: tf.tensor4d(this.kvIndices, [...rows, this.maxKvBlocks], 'int32'),
      fullKvNumBlocks: tf.tensor3d(this.fullKvNumBlocks, rows, 'int32'),
      fullKvIndices: tf.tensor4d(this.fullKvIndices, [...rows, this.maxFullKvBlocks], 'int32'),
      partialMasks: tf.tensor3d(
        this.partialMasks,
        [Math.max(1, this.numPartialBlocks), this.blockSize, this.wordsPerRow],
        'int32',
      ),
      partialMaskOffsets: tf.tensor3d(this.partialMaskOffsets, rows, 'int32'),
    };
  }

  /**
   * Throws unless attention with these dimensions can use the mask: same lengths, and the mask's batch and
   * heads either 1 or equal to the inputs'. The message says what to rebuild.
   */
  assertFits(fn: string, dims: AttentionDims): void {
    const rebuild = 'build a new one with createBlockMask.';
    if (dims.kvLen !== this.kvLen) {
      throw new InvalidArgumentError(
        fn,
        'blockMask',
        `a mask for the keys' length`,
        `a mask for ${this.kvLen} keys`,
        `This block mask was built for ${this.kvLen} keys, the keys have ${dims.kvLen}: ${rebuild}`,
      );
    }
    if (dims.qLen !== this.qLen) {
      throw new InvalidArgumentError(
        fn,
        'blockMask',
        `a mask for the queries' length`,
        `a mask for ${this.qLen} queries`,
        `This block mask was built for ${this.qLen} queries, the queries have ${dims.qLen}: ${rebuild}`,
      );
    }
    if (this.batch !== 1 && this.batch !== dims.batch) {
      throw new InvalidArgumentError(
        fn,
        'blockMask',
        `a mask for batch 1 or ${dims.batch}`,
        `a mask for batch ${this.batch}`,
        `This block mask was built for batch ${this.batch}, the inputs have ${dims.batch}: ${rebuild}`,
      );
    }
    if (this.heads !== 1 && this.heads !== dims.heads) {
      throw new InvalidArgumentError(
        fn,
        'blockMask',
        `a mask for 1 or ${dims.heads} heads`,
        `a mask for ${this.heads} heads`,
        `This block mask was built for ${this.heads} heads, the queries have ${dims.heads}: ${rebuild}`,
      );
    }
  }
}
