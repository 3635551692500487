import type { MaskMod } from '@efficient-attention/core';
import { buildPattern, maskStats } from '@efficient-attention/figures/compute';
import { andMasks, notMask, orMasks } from '@efficient-attention/sparse-masks';
import type { MaskArgs, MaskResult } from './protocol.js';

/** Builds the composed mask with sparse-masks' combinators and measures it (in the worker: N² work). */
export function maskTask({ terms, op, params }: MaskArgs): MaskResult {
  const mods: MaskMod[] = terms.map((t) =>
    t.negate ? notMask(buildPattern(t.kind, params)) : buildPattern(t.kind, params),
  );
  const combined = mods.length === 1 ? mods[0]! : op === 'and' ? andMasks(...mods) : orMasks(...mods);
  const stats = maskStats(combined, params.n, { blockSize: params.blockSize, headDim: 64 });
  const b = stats.blockMask;
  return {
    matrix: stats.matrix,
    allowed: stats.allowed,
    density: stats.density,
    flopsSaved: stats.flopsSaved,
    blockSparsity: stats.blockSparsity,
    // The block lists only: a class instance (and its predicate) cannot cross postMessage.
    blockMask: {
      qLen: b.qLen,
      kvLen: b.kvLen,
      blockSize: b.blockSize,
      batch: b.batch,
      heads: b.heads,
      kvNumBlocks: b.kvNumBlocks,
      kvIndices: b.kvIndices,
      maxKvBlocks: b.maxKvBlocks,
      fullKvNumBlocks: b.fullKvNumBlocks,
      fullKvIndices: b.fullKvIndices,
      maxFullKvBlocks: b.maxFullKvBlocks,
    },
  };
}
