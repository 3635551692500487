import { blockSparseAttentionKernel, hasKernelFor } from '@efficient-attention/core';
import { describeBackends, expectTensorsClose, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';
import {
  bandedRandomAllowed,
  compileBlockMask,
  expectNaNRule,
  poisonedInputs,
  poisonedShapeArbitrary,
} from '../fused-attention/testing/nan-rule-cases.js';

const nan = Number.NaN;

const blockCase = fc.record({
  shape: poisonedShapeArbitrary(120),
  blockSize: fc.integer({ min: 1, max: 48 }),
  band: fc.integer({ min: 0, max: 20 }),
  density: fc.double({ min: 0, max: 0.6, noNaN: true }),
  perHead: fc.boolean(),
});

// The NaN rule on the registered wasm block-sparse kernel (SIMD128 build; relaxed-simd.test.ts runs the
// other) for `wasm` and `cpu`: masked positions — skipped blocks, partial-block bits, in-block padding —
// never contribute, even holding NaN; fully masked rows stay 0.
describeBackends('blockSparseAttentionWasm and the NaN rule', (backend) => {
  beforeAll(async () => {
    await registerWasmKernels({ threads: 2 });
  });
  afterAll(() => unregisterWasmKernels());

  it('puts NaN and ±∞ of q, k, v exactly where the float64 reference has them (property)', () => {
    expect(hasKernelFor(blockSparseAttentionKernel, backend)).toBe(true);
    fc.assert(
      fc.property(blockCase, ({ shape: p, blockSize, band, density, perHead }) => {
        const c = poisonedInputs(p);
        const pattern = bandedRandomAllowed(p.seed, band, density);
        const shift = p.kvLen - p.qLen;
        // One mask for the batch (Bm = 1), per head or broadcast over heads.
        const allowed = (_b: number, h: number, q: number, kv: number) =>
          (!p.causal || kv <= q + shift) && pattern(0, perHead ? h : 0, q, kv);
        const mask = compileBlockMask(allowed, 1, perHead ? c.heads : 1, p.qLen, p.kvLen, blockSize);
        const { q, k, v } = c.tensors();
        const out = blockSparseAttentionKernel.run(
          { q, k, v, ...mask },
          { blockSize, qLen: p.qLen, kvLen: p.kvLen },
        );
        const got = out.dataSync();
        tf.dispose([q, k, v, out, ...Object.values(mask)]);
        const expected = c.reference((_b, h, qi, kv) => pattern(0, perHead ? h : 0, qi, kv));
        expectNaNRule(
          got,
          expected,
          `${backend}: ${JSON.stringify({ p, blockSize, band, density, perHead })}`,
        );
      }),
      { numRuns: 60, seed: 2121 },
    );
  });

  it('a NaN query row is NaN, a NaN in a skipped block or under a zero bit reaches nothing', () => {
    // bs 4, 12 queries and keys: query block 0 sees key block 0 fully; block 1 sees keys 4 and 6 of block
    // 1 (a partial block); block 2 sees nothing. Key block 2 (keys 8–11) is never visited.
    const allowed = (_b: number, _h: number, q: number, kv: number) =>
      (q < 4 && kv < 4) || (q >= 4 && q < 8 && (kv === 4 || kv === 6));
    const mask = compileBlockMask(allowed, 1, 1, 12, 12, 4);
    const q = seededTensor([1, 1, 12, 8], 1).data;
    const k = seededTensor([1, 1, 12, 8], 2).data;
    const v = seededTensor([1, 1, 12, 8], 3).data;
    q[1 * 8] = nan; // query 1
    k[5 * 8 + 1] = nan; // key 5: masked by its bit for every row
    v[7 * 8 + 2] = nan; // value 7: masked by its bit
    k[9 * 8] = nan; // key 9 and value 10: a skipped block
    v[10 * 8 + 4] = nan;
    const t = (x: Float64Array) => tf.tensor(Float32Array.from(x), [1, 1, 12, 8]);
    const [qt, kt, vt] = [t(q), t(k), t(v)];
    const out = blockSparseAttentionKernel.run(
      { q: qt, k: kt, v: vt, ...mask },
      { blockSize: 4, qLen: 12, kvLen: 12, scale: 0.5 },
    );
    const rows = (out.arraySync() as number[][][][])[0]![0]!;
    expect(rows[1]!.every(Number.isNaN)).toBe(true);
    for (const i of [0, 2, 3, 4, 5, 6, 7]) expect(rows[i]!.every(Number.isFinite), `row ${i}`).toBe(true);
    for (let i = 8; i < 12; i++) expect(rows[i]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    tf.dispose([qt, kt, vt, out, ...Object.values(mask)]);
  });

  it('resolves attributes before the kernel runs: no scale means 1/√d; a bad scale throws on every path', () => {
    const allowed = (_b: number, _h: number, q: number, kv: number) => kv <= q;
    const mask = compileBlockMask(allowed, 1, 1, 20, 20, 8);
    const q = seededTensor([1, 2, 20, 16], 4).tensor;
    const k = seededTensor([1, 2, 20, 16], 5).tensor;
    const v = seededTensor([1, 2, 20, 16], 6).tensor;
    const inputs = { q, k, v, ...mask };
    const base = { blockSize: 8, qLen: 20, kvLen: 20 };
    const implicit = blockSparseAttentionKernel.run(inputs, base);
    const explicit = blockSparseAttentionKernel.run(inputs, { ...base, scale: 0.25 });
    expectTensorsClose(implicit, explicit, { atol: 0, rtol: 0 });
    for (const scale of [nan, Number.POSITIVE_INFINITY, 0, -1]) {
      for (const path of ['run', 'reference'] as const) {
        expect(
          () => blockSparseAttentionKernel[path](inputs, { ...base, scale }),
          `${path} ${scale}`,
        ).toThrow(/`attrs\.scale` must be a finite number > 0/);
      }
    }
    expect(() => blockSparseAttentionKernel.run(inputs, { ...base, blockSize: 0 })).toThrow(
      /`attrs\.blockSize` must be an integer ≥ 1, received 0/,
    );
    expect(() => blockSparseAttentionKernel.run(inputs, { ...base, qLen: 21 })).toThrow(/`attrs\.qLen`/);
    tf.dispose([q, k, v, implicit, explicit, ...Object.values(mask)]);
  });
});
