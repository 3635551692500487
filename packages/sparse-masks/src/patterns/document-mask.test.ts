import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMask } from '../create-block-mask.js';
import { expectEnumeratorAgrees, expectPicture } from '../pattern-checks.test-support.js';
import { documentMask } from './document-mask.js';

describe('documentMask', () => {
  it('allows pairs of the same document; padding (negative ids) attends to nothing', () => {
    expectPicture(
      documentMask({ documentIds: [0, 0, 1, 1, 1, -1] }),
      `
      ██····
      ██····
      ··███·
      ··███·
      ··███·
      ······`,
    );
    // Cross-attention with per-key documents; a document may come back after another (two runs).
    expectPicture(
      documentMask({ documentIds: [5, 7], kvDocumentIds: [7, 5, 5, 7] }),
      `
      ·██·
      █··█`,
    );
    // Per-batch documents.
    const perBatch = documentMask({
      documentIds: [
        [0, 0, 1],
        [0, 1, 1],
      ],
    });
    expect(perBatch.batchInvariant).toBe(false);
    expectPicture(
      perBatch,
      `
      █··
      ·██
      ·██`,
      1,
    );
  });

  it('has an enumerator that agrees with the predicate', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (qIds, kvIds, blockSize, packed) => {
          // Packed sequences are sorted runs; also check arbitrary interleavings.
          const ids = packed ? [...qIds].sort((a, b) => a - b) : qIds;
          const pattern = documentMask({ documentIds: ids, kvDocumentIds: packed ? ids : kvIds });
          const kvLen = packed ? ids.length : kvIds.length;
          expectEnumeratorAgrees(pattern, { qLen: ids.length, kvLen, blockSize, seed: blockSize });
        },
      ),
      { numRuns: 25, seed: 11 },
    );
  });

  it('rejects other lengths and malformed ids', () => {
    expect(() => createBlockMask(documentMask({ documentIds: [0, 0, 1] }), 4, 4)).toThrow(
      /lengths of its document ids \(qLen 3, kvLen 3\)/,
    );
    expect(() => documentMask({ documentIds: [0, 0.5] })).toThrow(
      /`options.documentIds\[1\]` must be an integer/,
    );
    expect(() => documentMask({ documentIds: [] })).toThrow(/a non-empty array/);
    expect(() => documentMask({ documentIds: [[0, 0], [1]] })).toThrow(
      /`options.documentIds\[1\].length` must be 2/,
    );
  });
});
