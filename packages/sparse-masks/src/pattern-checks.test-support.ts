/**
 * Checks shared by the pattern tests (not part of the package build). Every check compares the fast paths
 * with the pattern's own predicate evaluated pair by pair — the definition — or with a picture drawn by hand.
 */
import type { MaskMod } from '@efficient-attention/core';
import { expect } from 'vitest';
import { BitSlab } from './bit-slab.js';
import { BLOCK_FULL, BLOCK_NONE, type KeyBlockGrid } from './block-enumerator.js';
import type { BlockMask } from './block-mask.js';
import { createBlockMask } from './create-block-mask.js';
import { createMaskArray } from './create-mask.js';
import { definePattern, type MaskPattern } from './mask-pattern.js';

/**
 * Reads a hand-drawn picture (`█` allowed, `·` not; one line per query, anything after the cells ignored)
 * into a grid of booleans.
 */
export function parsePicture(picture: string): boolean[][] {
  return picture
    .trim()
    .split('\n')
    .map((line) =>
      Array.from(line.trim().replace(/^q\d+\s*/, ''))
        .filter((ch) => ch === '█' || ch === '·')
        .map((ch) => ch === '█'),
    );
}

/** Asserts that the mask allows exactly the pairs of the picture (plane b, h). */
export function expectPicture(mask: MaskMod, picture: string, b = 0, h = 0): void {
  const expected = parsePicture(picture);
  const qLen = expected.length;
  const kvLen = expected[0]!.length;
  const actual = createMaskArray(mask, qLen, kvLen, { batch: b + 1, heads: h + 1 })[b]![h]!;
  const draw = (g: boolean[][]) => g.map((row) => row.map((x) => (x ? '█' : '·')).join('')).join('\n');
  expect(draw(actual)).toBe(draw(expected));
}

/** The same predicate without an enumerator: its block mask is built by the predicate sweep. */
export function withoutEnumerator(mask: MaskMod): MaskPattern {
  return definePattern((b, h, q, kv) => mask(b, h, q, kv), {
    description: 'sweep',
    batchInvariant: mask.batchInvariant === true,
    headInvariant: mask.headInvariant === true,
  });
}

/** Every field of a block mask that attention reads. */
export function blockMaskFields(m: BlockMask) {
  return {
    batch: m.batch,
    heads: m.heads,
    kvNumBlocks: Array.from(m.kvNumBlocks),
    kvIndices: Array.from(m.kvIndices),
    fullKvNumBlocks: Array.from(m.fullKvNumBlocks),
    fullKvIndices: Array.from(m.fullKvIndices),
    partialMaskOffsets: Array.from(m.partialMaskOffsets),
    partialMasks: Array.from(m.partialMasks),
  };
}

/** One configuration to check a pattern on. */
export interface AgreementCase {
  qLen: number;
  kvLen: number;
  blockSize: number;
  batch?: number;
  heads?: number;
  /** Seed for the random slabs fed to `fillBits`. */
  seed?: number;
}

/**
 * Asserts that a pattern's enumerator agrees with its predicate:
 * 1. the block mask built with the enumerator equals the one built by the predicate sweep, field by field;
 * 2. `classify` is sound on every block (NONE ⇒ no pair allowed, FULL ⇒ every pair), also at an offset grid;
 * 3. `fillBits` marks exactly the allowed pairs of slabs placed anywhere, including outside [0, length).
 */
export function expectEnumeratorAgrees(pattern: MaskPattern, c: AgreementCase): void {
  const options = { blockSize: c.blockSize, batch: c.batch ?? 1, heads: c.heads ?? 1 };
  const fast = createBlockMask(pattern, c.qLen, c.kvLen, options);
  const swept = createBlockMask(withoutEnumerator(pattern), c.qLen, c.kvLen, options);
  expect(blockMaskFields(fast)).toEqual(blockMaskFields(swept));
  const blocks = pattern.blocks;
  if (blocks === undefined) return;
  if (blocks.writeBits !== undefined && blocks.fillBits !== undefined) {
    // The in-place writer was used above; the slab path (what combinators use) must agree as well.
    const { writeBits: _, ...slabOnly } = blocks;
    const viaSlab = definePattern(pattern, {
      description: pattern.description,
      batchInvariant: pattern.batchInvariant === true,
      headInvariant: pattern.headInvariant === true,
      blocks: slabOnly,
    });
    expect(blockMaskFields(createBlockMask(viaSlab, c.qLen, c.kvLen, options))).toEqual(
      blockMaskFields(swept),
    );
  }
  const planesB = pattern.batchInvariant ? 1 : (c.batch ?? 1);
  const planesH = pattern.headInvariant ? 1 : (c.heads ?? 1);
  let seed = (c.seed ?? 1) >>> 0;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  for (let b = 0; b < planesB; b++) {
    for (let h = 0; h < planesH; h++) {
      for (const start of [0, -c.blockSize + 1 + next(c.blockSize)]) {
        const grid: KeyBlockGrid = {
          start,
          end: c.kvLen,
          size: c.blockSize,
          count: Math.ceil((c.kvLen - start) / c.blockSize),
        };
        const states = new Uint8Array(grid.count);
        for (let q0 = start; q0 < c.qLen; q0 += c.blockSize) {
          const q1 = Math.min(c.qLen, q0 + c.blockSize);
          blocks.classify(b, h, q0, q1, grid, states);
          for (let j = 0; j < grid.count; j++) {
            const k0 = grid.start + j * grid.size;
            const k1 = Math.min(grid.end, k0 + grid.size);
            let any = false;
            let all = true;
            for (let q = q0; q < q1; q++) {
              for (let kv = k0; kv < k1; kv++) {
                if (pattern(b, h, q, kv)) any = true;
                else all = false;
              }
            }
            const where = `block (q ${q0}…${q1 - 1}, kv ${k0}…${k1 - 1}) of plane (${b}, ${h})`;
            if (states[j] === BLOCK_NONE) expect(any, `${where} classified empty`).toBe(false);
            if (states[j] === BLOCK_FULL) expect(all, `${where} classified full`).toBe(true);
          }
        }
      }
      if (blocks.fillBits === undefined) continue;
      const maxCols = c.kvLen + 2 * c.blockSize;
      const slab = new BitSlab(c.blockSize, maxCols);
      for (let trial = 0; trial < 4; trial++) {
        const q0 = next(c.qLen + c.blockSize) - c.blockSize;
        const rows = 1 + next(c.blockSize);
        const kv0 = next(c.kvLen + c.blockSize) - c.blockSize;
        const cols = 1 + next(maxCols);
        slab.reset(q0, rows, kv0, cols);
        blocks.fillBits(b, h, slab);
        for (let q = q0; q < q0 + rows; q++) {
          for (let kv = kv0; kv < kv0 + cols; kv++) {
            if (slab.has(q, kv) !== pattern(b, h, q, kv)) {
              expect.fail(
                `fillBits disagrees with the predicate at (q ${q}, kv ${kv}) of plane (${b}, ${h})`,
              );
            }
          }
        }
      }
    }
  }
}
