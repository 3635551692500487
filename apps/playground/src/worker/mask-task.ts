import { builtinCatalogue } from '@efficient-attention/all';
import type { MaskMod } from '@efficient-attention/core';
import { buildPatternMask, maskStats, optionProblem } from '@efficient-attention/figures/compute';
import { andMasks, notMask, orMasks } from '@efficient-attention/sparse-masks';
import type { MaskArgs, MaskResult } from './protocol.js';

/**
 * Builds each term with `createPatternMask` from the catalogue's pattern registry, composes them with
 * sparse-masks' combinators and measures the result (in the worker: N² work). Options a definition
 * rejects come back as sentences, one per term.
 */
export function maskTask({ terms, op, n, blockSize, seed }: MaskArgs): MaskResult {
  const patterns = builtinCatalogue().patterns;
  const context = { seed, qLen: n, kvLen: n, blockSize };
  const problems: string[] = [];
  const mods: MaskMod[] = [];
  terms.forEach((t, i) => {
    const built = buildPatternMask({ ...t.options, pattern: t.pattern }, context, patterns);
    if ('problem' in built)
      problems.push(`Pattern ${i + 1} (${patterns.get(t.pattern).title}): ${built.problem}`);
    else mods.push(t.negate ? notMask(built.mask) : built.mask);
  });
  if (problems.length > 0) return { status: 'invalid', problems };
  const combined = mods.length === 1 ? mods[0]! : op === 'and' ? andMasks(...mods) : orMasks(...mods);
  let stats: ReturnType<typeof maskStats>;
  try {
    stats = maskStats(combined, n, { blockSize, headDim: 64 });
  } catch (error) {
    // Some options are checked against the lengths only when the mask is evaluated (e.g. a global token
    // index past N).
    return { status: 'invalid', problems: [optionProblem(error)] };
  }
  const b = stats.blockMask;
  return {
    status: 'built',
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
