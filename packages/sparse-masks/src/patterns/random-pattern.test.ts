import { hashSeed } from '@efficient-attention/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { createMaskArray } from '../create-mask.js';
import { expectEnumeratorAgrees } from '../pattern-checks.test-support.js';
import { randomPattern } from './random-pattern.js';
import { seededSample } from './seeded-sample.js';

/** The documented draw, re-implemented: Floyd's algorithm, draw j is ⌊u·(j + 1)⌋, u = hashSeed(seed, h, q, j) / 2³². */
function documentedRow(seed: number, h: number, q: number, kvLen: number, count: number): number[] {
  const chosen = new Set<number>();
  for (let j = kvLen - count; j < kvLen; j++) {
    const t = Math.floor(((hashSeed(seed, h, q, j) >>> 0) / 2 ** 32) * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

const rowKeys = (row: boolean[]) => row.flatMap((x, kv) => (x ? [kv] : []));

describe('randomPattern', () => {
  it('draws exactly perRow keys per row, as documented, the same for every batch element', () => {
    const grid = createMaskArray(randomPattern({ kvLen: 40, perRow: 5, seed: 11 }), 30, 40, { batch: 2 });
    grid[0]![0]!.forEach((row, q) => {
      expect(rowKeys(row)).toEqual(documentedRow(11, 0, q, 40, 5));
    });
    expect(grid[1]).toEqual(grid[0]);
    const again = createMaskArray(randomPattern({ kvLen: 40, perRow: 5, seed: 11 }), 30, 40);
    expect(again[0]).toEqual(grid[0]);
    const other = createMaskArray(randomPattern({ kvLen: 40, perRow: 5, seed: 12 }), 30, 40);
    expect(other[0]).not.toEqual(grid[0]);
  });

  it('draws round(density · kvLen) keys per row, per head when asked', () => {
    const grid = createMaskArray(
      randomPattern({ kvLen: 50, density: 0.13, seed: 3, perHead: true }),
      20,
      50,
      {
        heads: 2,
      },
    );
    for (const h of [0, 1]) {
      grid[0]![h]!.forEach((row, q) => {
        expect(rowKeys(row)).toEqual(documentedRow(3, h, q, 50, Math.round(0.13 * 50)));
      });
    }
    expect(grid[0]![1]).not.toEqual(grid[0]![0]);
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (qLen, kvLen, blockSize, fraction, perHead, seed) => {
          const perRow = Math.round(fraction * kvLen);
          expectEnumeratorAgrees(randomPattern({ kvLen, perRow, seed, perHead }), {
            qLen,
            kvLen,
            blockSize,
            heads: 2,
            seed,
          });
        },
      ),
      { numRuns: 25, seed: 5 },
    );
  });

  it('builds block masks in place that equal the predicate sweep (multi-word rows, long rows)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom(1, 7, 32, 33, 64, 100, 128),
        fc.integer({ min: 0, max: 12 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (qLen, kvLen, blockSize, perRowWanted, perHead, seed) => {
          const perRow = Math.min(kvLen, perRowWanted);
          expectEnumeratorAgrees(randomPattern({ kvLen, perRow, seed, perHead }), {
            qLen,
            kvLen,
            blockSize,
            heads: 2,
            seed,
          });
        },
      ),
      { numRuns: 15, seed: 9 },
    );
  });

  it('draws negative and far rows on demand, as seededSample does (offset masks ask for them)', () => {
    const p = randomPattern({ kvLen: 40, perRow: 3, seed: 4 });
    for (const q of [-7, 0, 39, 2 ** 22 + 5]) {
      const keys = new Set(seededSample(40, 3, 4, 0, q));
      for (let kv = 0; kv < 40; kv++) expect(p(0, 0, q, kv)).toBe(keys.has(kv));
    }
  });

  it('rejects bad counts and other key lengths', () => {
    expect(() => randomPattern({ kvLen: 8, perRow: 9 })).toThrow(
      /`options.perRow` must be an integer ≥ 0 ≤ 8, received 9/,
    );
    expect(() => randomPattern({ kvLen: 8, density: 1.5 })).toThrow(
      /`options.density` must be a finite number ≥ 0 ≤ 1/,
    );
    expect(() => randomPattern({ kvLen: 8, perRow: 1, density: 0.5 })).toThrow(/exactly one of `perRow`/);
    expect(() => createBlockMask(randomPattern({ kvLen: 8, perRow: 2 }), 8, 16)).toThrow(
      /drawn for \(8\), received 16\. Build a new randomPattern/,
    );
  });
});
