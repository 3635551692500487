import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL, classifyBand, unknownBlocks } from './block-enumerator.js';

describe('classifyBand', () => {
  it('classifies each block of a band lo ≤ kv − q ≤ hi exactly (checked pair by pair)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -30, max: 30 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: -30, max: 30 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: -15, max: 15 }),
        fc.integer({ min: 0, max: 20 }),
        fc.boolean(),
        (q0, rows, start, length, size, lo, width, open) => {
          const hi = open ? Number.POSITIVE_INFINITY : lo + width;
          const count = Math.ceil(length / size);
          const grid = { start, end: start + length, size, count };
          const states = new Uint8Array(count);
          classifyBand(q0, q0 + rows, grid, lo, hi, states);
          for (let j = 0; j < count; j++) {
            let allowed = 0;
            let total = 0;
            for (let q = q0; q < q0 + rows; q++) {
              for (let kv = start + j * size; kv < Math.min(grid.end, start + (j + 1) * size); kv++) {
                total++;
                if (kv - q >= lo && kv - q <= hi) allowed++;
              }
            }
            const truth = allowed === 0 ? BLOCK_NONE : allowed === total ? BLOCK_FULL : BLOCK_PARTIAL;
            expect(states[j]).toBe(truth);
          }
        },
      ),
      { numRuns: 200, seed: 33 },
    );
  });

  it('unknownBlocks marks every block partial', () => {
    const states = new Uint8Array(5);
    unknownBlocks.classify(0, 0, 0, 4, { start: 0, end: 17, size: 4, count: 5 }, states);
    expect(Array.from(states)).toEqual([1, 1, 1, 1, 1]);
  });
});
