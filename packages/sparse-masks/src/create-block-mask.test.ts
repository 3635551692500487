import { hashSeed, type MaskMod } from '@efficient-attention/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_PARTIAL } from './block-enumerator.js';
import { createBlockMask } from './create-block-mask.js';
import { definePattern } from './mask-pattern.js';
import { blockMaskFields } from './pattern-checks.test-support.js';
import { causal } from './patterns/causal.js';
import { slidingWindow } from './patterns/sliding-window.js';

/** A predicate with about `density` of pairs allowed, depending on b and h unless told otherwise. */
function hashed(seed: number, density: number, perBatch: boolean, perHead: boolean): MaskMod {
  const f: MaskMod = (b, h, q, kv) =>
    (hashSeed(seed, perBatch ? b : 0, perHead ? h : 0, q, kv) >>> 0) / 2 ** 32 < density;
  return Object.assign(f, { batchInvariant: !perBatch, headInvariant: !perHead });
}

describe('createBlockMask', () => {
  it('classifies every block exactly and stores exact bits (brute force over random predicates)', () => {
    fc.assert(
      fc.property(
        fc.record({
          qLen: fc.integer({ min: 1, max: 70 }),
          kvLen: fc.integer({ min: 1, max: 70 }),
          blockSize: fc.integer({ min: 1, max: 70 }),
          density: fc.constantFrom(0, 0.02, 0.5, 0.97, 1),
          perBatch: fc.boolean(),
          perHead: fc.boolean(),
          seed: fc.integer({ min: 0, max: 10_000 }),
        }),
        (p) => {
          const mod = hashed(p.seed, p.density, p.perBatch, p.perHead);
          const m = createBlockMask(mod, p.qLen, p.kvLen, { blockSize: p.blockSize, batch: 2, heads: 3 });
          expect([m.batch, m.heads]).toEqual([p.perBatch ? 2 : 1, p.perHead ? 3 : 1]);
          const bs = p.blockSize;
          const qb = Math.ceil(p.qLen / bs);
          const kb = Math.ceil(p.kvLen / bs);
          const words = Math.ceil(bs / 32);
          let partialSeen = 0;
          for (let b = 0; b < m.batch; b++)
            for (let h = 0; h < m.heads; h++)
              for (let r = 0; r < qb; r++) {
                const row = (b * m.heads + h) * qb + r;
                const full = Array.from(m.fullKvIndices.subarray(row * m.maxFullKvBlocks)).slice(
                  0,
                  m.fullKvNumBlocks[row],
                );
                const partial = Array.from(m.kvIndices.subarray(row * m.maxKvBlocks)).slice(
                  0,
                  m.kvNumBlocks[row],
                );
                expect(m.partialMaskOffsets[row]).toBe(partialSeen);
                const expectedFull: number[] = [];
                const expectedPartial: number[] = [];
                for (let j = 0; j < kb; j++) {
                  let allowed = 0;
                  let total = 0;
                  for (let q = r * bs; q < Math.min(p.qLen, (r + 1) * bs); q++)
                    for (let kv = j * bs; kv < Math.min(p.kvLen, (j + 1) * bs); kv++) {
                      total++;
                      if (mod(b, h, q, kv)) allowed++;
                    }
                  if (allowed === total) expectedFull.push(j);
                  else if (allowed > 0) expectedPartial.push(j);
                }
                expect(full).toEqual(expectedFull);
                expect(partial).toEqual(expectedPartial);
                // Bits: row-major, LSB first, zero outside [qLen) × [kvLen).
                partial.forEach((j, s) => {
                  const base = (partialSeen + s) * bs * words;
                  for (let i = 0; i < bs; i++)
                    for (let c = 0; c < words * 32; c++) {
                      const bit = (m.partialMasks[base + i * words + (c >> 5)]! >>> (c & 31)) & 1;
                      const q = r * bs + i;
                      const kv = j * bs + c;
                      const want = c < bs && q < p.qLen && kv < p.kvLen && mod(b, h, q, kv) ? 1 : 0;
                      if (bit !== want) expect.fail(`bit (q ${q}, kv ${kv}) of plane (${b}, ${h}) is ${bit}`);
                    }
                });
                partialSeen += partial.length;
              }
          expect(m.numPartialBlocks).toBe(partialSeen);
          expect(m.maxKvBlocks).toBe(Math.max(1, ...m.kvNumBlocks));
          expect(m.maxFullKvBlocks).toBe(Math.max(1, ...m.fullKvNumBlocks));
          expect(m.partialMasks.length).toBe(Math.max(1, partialSeen) * bs * words);
        },
      ),
      { numRuns: 60, seed: 41 },
    );
  });

  it('writes bits in place (writeBits) exactly as the predicate sweep, even when classify is loose', () => {
    fc.assert(
      fc.property(
        fc.record({
          qLen: fc.integer({ min: 1, max: 150 }),
          kvLen: fc.integer({ min: 1, max: 150 }),
          blockSize: fc.integer({ min: 1, max: 70 }),
          density: fc.constantFrom(0, 0.02, 0.5, 0.97, 1),
          perBatch: fc.boolean(),
          perHead: fc.boolean(),
          seed: fc.integer({ min: 0, max: 10_000 }),
        }),
        (p) => {
          const mod = hashed(p.seed, p.density, p.perBatch, p.perHead);
          // Every block a candidate: full and empty candidates must leave the partial list (and their bits).
          const loose = definePattern(mod, {
            description: 'loose',
            batchInvariant: !p.perBatch,
            headInvariant: !p.perHead,
            blocks: {
              classify: (_b, _h, _q0, _q1, grid, states) => states.fill(BLOCK_PARTIAL, 0, grid.count),
              writeBits: (b, h, sink) => {
                for (let q = sink.q0; q < sink.q1; q++)
                  for (let kv = sink.kv0; kv < sink.kv1; kv++) if (mod(b, h, q, kv)) sink.set(q, kv);
              },
            },
          });
          const options = { blockSize: p.blockSize, batch: 2, heads: 3 };
          expect(blockMaskFields(createBlockMask(loose, p.qLen, p.kvLen, options))).toEqual(
            blockMaskFields(createBlockMask(mod, p.qLen, p.kvLen, options)),
          );
        },
      ),
      { numRuns: 80, seed: 43 },
    );
  });

  it('broadcasts invariant masks and builds one plane per batch element / head otherwise', () => {
    expect(createBlockMask(causal(), 8, 8, { batch: 4, heads: 8, blockSize: 4 }).heads).toBe(1);
    const perHead = definePattern((_b, h, q, kv) => kv <= q + h, {
      description: 'shifted',
      batchInvariant: true,
    });
    const m = createBlockMask(perHead, 8, 8, { batch: 4, heads: 3, blockSize: 4 });
    expect([m.batch, m.heads]).toEqual([1, 3]);
    // Partial blocks per (head, query block): h = 0 is causal (the diagonal blocks); for h ≥ 1 the first
    // query block also reaches into key block 1 (query 3 sees key 3 + h).
    expect(Array.from(m.kvNumBlocks)).toEqual([1, 1, 2, 1, 2, 1]);
    expect(Array.from(m.fullKvNumBlocks)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('rejects bad block sizes, lengths and options', () => {
    const window = slidingWindow({ radius: 2 });
    expect(() => createBlockMask(window, 8, 8, { blockSize: 0 })).toThrow(
      /createBlockMask: `options.blockSize` must be an integer > 0, received 0/,
    );
    expect(() => createBlockMask(window, 8, 8, { blockSize: -4 })).toThrow(
      /`options.blockSize` must be an integer > 0/,
    );
    expect(() => createBlockMask(window, 8, 8, { blockSize: 2.5 })).toThrow(/received 2.5/);
    expect(() => createBlockMask(window, 8, 0)).toThrow(/`kvLen` must be an integer ≥ 1, received 0/);
    expect(() => createBlockMask(window, 8, 8, { block: 4 } as never)).toThrow(
      /`options.block` must be one of the known options/,
    );
    expect(() => createBlockMask(null as never, 8, 8)).toThrow(/`maskMod` must be a MaskMod/);
  });
});
