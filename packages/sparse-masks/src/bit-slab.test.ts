import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitSlab, popcount32 } from './bit-slab.js';

/** A slab operation, applied both to a BitSlab and to a plain boolean grid. */
const opArbitrary = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    q: fc.integer({ min: -5, max: 40 }),
    a: fc.integer({ min: -40, max: 120 }),
    b: fc.constant(0),
  }),
  fc.record({
    kind: fc.constant('range' as const),
    q: fc.integer({ min: -5, max: 40 }),
    a: fc.integer({ min: -40, max: 120 }),
    b: fc.integer({ min: -40, max: 140 }),
  }),
  fc.record({
    kind: fc.constant('every' as const),
    q: fc.integer({ min: -5, max: 40 }),
    a: fc.integer({ min: -40, max: 120 }),
    b: fc.integer({ min: -40, max: 140 }),
    step: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant('rows' as const),
    q: fc.integer({ min: -5, max: 40 }),
    a: fc.integer({ min: -40, max: 120 }),
    b: fc.integer({ min: -40, max: 140 }),
    step: fc.integer({ min: -5, max: 45 }),
  }),
);

describe('BitSlab', () => {
  it('marks exactly the pairs set or ranged, in any frame, clipping what falls outside', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10, max: 10 }),
        fc.integer({ min: 1, max: 33 }),
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(opArbitrary, { maxLength: 30 }),
        (q0, rows, kv0, cols, ops) => {
          const slab = new BitSlab(40, 100);
          slab.reset(q0, rows, kv0, cols);
          const expected = Array.from({ length: rows }, () => Array<boolean>(cols).fill(false));
          const mark = (q: number, kv: number) => {
            if (q >= q0 && q < q0 + rows && kv >= kv0 && kv < kv0 + cols) expected[q - q0]![kv - kv0] = true;
          };
          for (const op of ops) {
            if (op.kind === 'set') {
              slab.set(op.q, op.a);
              mark(op.q, op.a);
            } else if (op.kind === 'range') {
              slab.setRange(op.q, op.a, op.b);
              for (let kv = op.a; kv < op.b; kv++) mark(op.q, kv);
            } else if (op.kind === 'every') {
              slab.setEvery(op.q, op.a, op.step, op.b);
              for (let kv = op.a; kv < op.b; kv += op.step) mark(op.q, kv);
            } else {
              slab.setRows(op.q, op.step, op.a, op.b);
              for (let q = op.q; q < op.step; q++) for (let kv = op.a; kv < op.b; kv++) mark(q, kv);
            }
          }
          const actual = expected.map((row, r) => row.map((_, c) => slab.has(q0 + r, kv0 + c)));
          expect(actual).toEqual(expected);
          // No bit beyond `cols` is ever set (block extraction relies on it).
          for (let r = 0; r < rows; r++) {
            const last = slab.words[r * slab.wordsPerRow + slab.wordsPerRow - 1]!;
            const rest = cols & 31;
            if (rest !== 0) expect(last >>> rest).toBe(0);
          }
        },
      ),
      { numRuns: 200, seed: 31 },
    );
  });

  it('combines slabs with and / or / or-not, and shifts its frame', () => {
    const slab = new BitSlab(2, 40);
    slab.reset(10, 2, 100, 40);
    slab.setRange(10, 100, 120);
    const other = slab.borrow();
    expect(other.q0).toBe(10);
    expect(other.kv0).toBe(100);
    other.setRange(10, 110, 140);
    other.set(11, 139);
    const and = slab.borrow();
    and.or(slab);
    and.and(other);
    const cells = (s: BitSlab, q: number) =>
      Array.from({ length: 40 }, (_, c) => (s.has(q, 100 + c) ? 1 : 0)).join('');
    expect(cells(and, 10)).toBe(`${'0'.repeat(10)}${'1'.repeat(10)}${'0'.repeat(20)}`);
    const not = slab.borrow();
    not.orNot(other);
    expect(cells(not, 10)).toBe(`${'1'.repeat(10)}${'0'.repeat(30)}`);
    expect(cells(not, 11)).toBe(`${'1'.repeat(39)}0`);
    slab.release(and);
    slab.release(other);
    slab.release(not);
    slab.shift(5, -3);
    expect(slab.has(15, 97)).toBe(true);
    expect(slab.has(10, 100)).toBe(false);
  });

  it('popcount32 counts bits of any 32-bit value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (x) => {
        const naive = Array.from({ length: 32 }, (_, i) => (x >>> i) & 1).reduce((a, b) => a + b, 0);
        expect(popcount32(x)).toBe(naive);
      }),
      { numRuns: 200, seed: 32 },
    );
  });
});
