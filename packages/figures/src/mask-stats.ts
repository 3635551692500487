import type { MaskMod } from '@efficient-attention/core';
import { type BlockMask, createBlockMask, createMaskArray } from '@efficient-attention/sparse-masks';

/** What {@link maskStats} measures of a mask on an N × N self-attention. */
export interface MaskStats {
  /** The element mask as 0/1 rows, `matrix[query][key]`. */
  matrix: number[][];
  /** Allowed (query, key) pairs. */
  allowed: number;
  /** allowed / N². */
  density: number;
  /** FLOPs of dense attention's two matmuls, 4·N²·d (QKᵀ and AV, a multiply-add counted as 2). */
  denseFlops: number;
  /** FLOPs when only allowed pairs are computed, 4·allowed·d. */
  sparseFlops: number;
  /** 1 − sparseFlops / denseFlops (= 1 − density). */
  flopsSaved: number;
  /** The mask compiled into blocks of `blockSize`. */
  blockMask: BlockMask;
  /** Fraction of blocks a block-sparse kernel skips (`BlockMask.sparsity()`). */
  blockSparsity: number;
}

/**
 * Builds a mask over N queries and N keys with `createMaskArray` and `createBlockMask` and measures its
 * density and the attention FLOPs it saves, element-wise and at block granularity.
 *
 * @example
 * ```ts
 * maskStats(slidingWindow({ radius: 2 }), 16, { blockSize: 4, headDim: 64 }).density; // 74 / 256
 * ```
 */
export function maskStats(
  mask: MaskMod,
  n: number,
  options: { blockSize: number; headDim: number },
): MaskStats {
  const rows = createMaskArray(mask, n, n)[0]![0]!;
  let allowed = 0;
  const matrix = rows.map((row) =>
    row.map((v) => {
      if (v) allowed++;
      return v ? 1 : 0;
    }),
  );
  const blockMask = createBlockMask(mask, n, n, { blockSize: options.blockSize });
  const denseFlops = 4 * n * n * options.headDim;
  const sparseFlops = 4 * allowed * options.headDim;
  return {
    matrix,
    allowed,
    density: allowed / (n * n),
    denseFlops,
    sparseFlops,
    flopsSaved: 1 - sparseFlops / denseFlops,
    blockMask,
    blockSparsity: blockMask.sparsity(),
  };
}
