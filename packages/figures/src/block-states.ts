import type { BlockMaskData } from '@efficient-attention/sparse-masks';

/** The block layout fields of a `BlockMask` that figures read. */
export type BlockLayout = Pick<
  BlockMaskData,
  | 'qLen'
  | 'kvLen'
  | 'blockSize'
  | 'batch'
  | 'heads'
  | 'kvNumBlocks'
  | 'kvIndices'
  | 'maxKvBlocks'
  | 'fullKvNumBlocks'
  | 'fullKvIndices'
  | 'maxFullKvBlocks'
>;

/** State of one (query block, key block) pair: skipped, partially or fully allowed. */
export type BlockState = 'empty' | 'partial' | 'full';

/** The block states of one (batch, head) plane of a block mask, plus their counts. */
export interface BlockStates {
  /** `states[queryBlock][keyBlock]`. */
  states: BlockState[][];
  counts: Record<BlockState, number>;
}

/**
 * Reads the full/partial/empty state of every block of a block mask's (b, h) plane (broadcast dimensions
 * read plane 0), from the block lists `createBlockMask` compiled.
 *
 * @example
 * ```ts
 * const { counts } = blockStates(createBlockMask(causal(), 8, 8, { blockSize: 4 }));
 * // { full: 1, partial: 2, empty: 1 }
 * ```
 */
export function blockStates(mask: BlockLayout, b = 0, h = 0): BlockStates {
  const qBlocks = Math.ceil(mask.qLen / mask.blockSize);
  const kvBlocks = Math.ceil(mask.kvLen / mask.blockSize);
  const plane = (mask.batch === 1 ? 0 : b) * mask.heads + (mask.heads === 1 ? 0 : h);
  const states = Array.from({ length: qBlocks }, () => new Array<BlockState>(kvBlocks).fill('empty'));
  for (let r = 0; r < qBlocks; r++) {
    const row = plane * qBlocks + r;
    const out = states[r]!;
    for (let s = 0; s < mask.fullKvNumBlocks[row]!; s++)
      out[mask.fullKvIndices[row * mask.maxFullKvBlocks + s]!] = 'full';
    for (let s = 0; s < mask.kvNumBlocks[row]!; s++)
      out[mask.kvIndices[row * mask.maxKvBlocks + s]!] = 'partial';
  }
  const counts: Record<BlockState, number> = { empty: 0, partial: 0, full: 0 };
  for (const row of states) for (const s of row) counts[s]++;
  return { states, counts };
}
