import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockBitWriter } from './block-bit-writer.js';

/** A writer operation, applied both to a BlockBitWriter and to a plain boolean grid. */
const opArbitrary = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    q: fc.integer({ min: -5, max: 80 }),
    a: fc.integer({ min: -40, max: 330 }),
    b: fc.constant(0),
    qb: fc.constant(0),
  }),
  fc.record({
    kind: fc.constant('range' as const),
    q: fc.integer({ min: -5, max: 80 }),
    a: fc.integer({ min: -40, max: 330 }),
    b: fc.integer({ min: -40, max: 360 }),
    qb: fc.constant(0),
  }),
  fc.record({
    kind: fc.constant('every' as const),
    q: fc.integer({ min: -5, max: 80 }),
    a: fc.integer({ min: -40, max: 330 }),
    b: fc.integer({ min: -40, max: 360 }),
    qb: fc.integer({ min: 1, max: 150 }),
  }),
  fc.record({
    kind: fc.constant('rows' as const),
    q: fc.integer({ min: -5, max: 80 }),
    a: fc.integer({ min: -40, max: 330 }),
    b: fc.integer({ min: -40, max: 360 }),
    qb: fc.integer({ min: -5, max: 90 }),
  }),
);

describe('BlockBitWriter', () => {
  it('writes exactly the pairs of the written blocks in the block-mask layout, and counts them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(opArbitrary, { maxLength: 40 }),
        (bs, kvLen, qBlock, rowsWanted, pick, ops) => {
          const kvBlocks = Math.ceil(kvLen / bs);
          const rows = Math.min(bs, rowsWanted);
          const q0 = qBlock * bs;
          const first = pick % kvBlocks;
          const last = first + ((pick >>> 8) % (kvBlocks - first));
          const kv0 = first * bs;
          const kv1 = Math.min(kvLen, (last + 1) * bs);
          // Blocks of the span to write: those whose bit of `pick` is set; the others drop their bits.
          const written: number[] = [];
          for (let j = first; j <= last; j++) if (((pick >>> (j % 31)) & 1) === 1) written.push(j);
          const writer = new BlockBitWriter(bs, kvBlocks);
          // A dirty stage from an earlier row must not leak into this one.
          writer.begin(0, bs, 0, kvLen, kvBlocks);
          writer.offsets.fill(0);
          writer.setRows(0, bs, 0, kvLen);
          writer.begin(q0, rows, kv0, kv1, written.length);
          const words = Math.ceil(bs / 32);
          written.forEach((j, t) => {
            writer.offsets[j] = t * bs * words;
          });
          const grid = new Set<string>();
          const mark = (q: number, kv: number) => {
            if (q >= q0 && q < q0 + rows && kv >= kv0 && kv < kv1) grid.add(`${q},${kv}`);
          };
          for (const op of ops) {
            const q = q0 - 2 + op.q;
            if (op.kind === 'set') {
              writer.set(q, kv0 - 20 + op.a);
              mark(q, kv0 - 20 + op.a);
            } else if (op.kind === 'range') {
              writer.setRange(q, kv0 - 20 + op.a, kv0 - 20 + op.b);
              for (let kv = kv0 - 20 + op.a; kv < kv0 - 20 + op.b; kv++) mark(q, kv);
            } else if (op.kind === 'every') {
              writer.setEvery(q, kv0 - 20 + op.a, op.qb, kv0 - 20 + op.b);
              for (let kv = kv0 - 20 + op.a; kv < kv0 - 20 + op.b; kv += op.qb) mark(q, kv);
            } else {
              writer.setRows(q, q0 - 2 + op.qb, kv0 - 20 + op.a, kv0 - 20 + op.b);
              for (let qq = q; qq < q0 - 2 + op.qb; qq++)
                for (let kv = kv0 - 20 + op.a; kv < kv0 - 20 + op.b; kv++) mark(qq, kv);
            }
          }
          written.forEach((j, t) => {
            let count = 0;
            for (let i = 0; i < bs; i++) {
              for (let c = 0; c < words * 32; c++) {
                const bit = (writer.stage[(t * bs + i) * words + (c >> 5)]! >>> (c & 31)) & 1;
                const want = c < bs && grid.has(`${q0 + i},${j * bs + c}`) ? 1 : 0;
                if (bit !== want) expect.fail(`bit (row ${i}, col ${c}) of key block ${j} is ${bit}`);
                count += want;
              }
            }
            expect(writer.counts[j]).toBe(count);
          });
        },
      ),
      { numRuns: 200, seed: 17 },
    );
  });
});
