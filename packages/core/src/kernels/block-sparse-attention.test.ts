import {
  compileBlockMask,
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { hashSeed } from '../random.js';
import { scaledDotProductAttention } from '../scaled-dot-product-attention.js';
import { scoreMod } from '../types.js';
import {
  type BlockSparseAttentionInputs,
  blockSparseAttentionKernel,
  blockSparseAttentionReference,
} from './block-sparse-attention.js';
import { listKernelContracts } from './kernel-contract.js';

type Allowed = (b: number, h: number, q: number, kv: number) => boolean;

/** A pseudo-random pattern with about `density` of pairs allowed (some rows and blocks entirely empty). */
function randomAllowed(seed: number, density: number, perBatch: boolean, perHead: boolean): Allowed {
  return (b, h, q, kv) => {
    if (q % 5 === 4) return false;
    const u = (hashSeed(seed, perBatch ? b : 0, perHead ? h : 0, q, kv) >>> 0) / 2 ** 32;
    return u < density;
  };
}

// float32 gathered-block attention vs the float64 reference over ≤ 70 keys of unit-normal inputs.
const TOL = { atol: 3e-5, rtol: 3e-4 };

describeBackends('EABlockSparseAttention reference', () => {
  it('equals the float64 masked reference over random shapes, block sizes, broadcasts and steps', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          kvHeads: fc.integer({ min: 1, max: 2 }),
          group: fc.integer({ min: 1, max: 2 }),
          qLen: fc.integer({ min: 1, max: 70 }),
          kvLen: fc.integer({ min: 1, max: 70 }),
          headDim: fc.integer({ min: 1, max: 12 }),
          valueDim: fc.integer({ min: 1, max: 9 }),
          blockSize: fc.integer({ min: 1, max: 40 }),
          density: fc.constantFrom(0.05, 0.3, 0.8, 1),
          perBatch: fc.boolean(),
          perHead: fc.boolean(),
          keysPerStep: fc.integer({ min: 1, max: 100 }),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        (p) => {
          const heads = p.kvHeads * p.group;
          const q = seededTensor([p.batch, heads, p.qLen, p.headDim], p.seed);
          const k = seededTensor([p.batch, p.kvHeads, p.kvLen, p.headDim], p.seed + 1);
          const v = seededTensor([p.batch, p.kvHeads, p.kvLen, p.valueDim], p.seed + 2);
          const allowed = randomAllowed(p.seed, p.density, p.perBatch, p.perHead);
          const mask = compileBlockMask(
            allowed,
            p.perBatch ? p.batch : 1,
            p.perHead ? heads : 1,
            p.qLen,
            p.kvLen,
            p.blockSize,
          );
          const scale = 1 / Math.sqrt(p.headDim);
          const out = blockSparseAttentionReference(
            { q: q.tensor, k: k.tensor, v: v.tensor, ...mask },
            { blockSize: p.blockSize, qLen: p.qLen, kvLen: p.kvLen, scale },
            { keysPerStep: p.keysPerStep },
          );
          const expected = referenceAttention(
            { ...p, heads, q: q.data, k: k.data, v: v.data },
            { scale, allowed },
          );
          expectTensorsClose(out, expected.output, TOL);
          tf.dispose([out, q.tensor, k.tensor, v.tensor, ...Object.values(mask)]);
        },
      ),
      { numRuns: 40, seed: 404 },
    );
  });

  it('follows the NaN rule: a NaN key or value in a masked position of a visited block reaches no row', () => {
    fc.assert(
      fc.property(
        fc.record({
          qLen: fc.integer({ min: 1, max: 20 }),
          kvLen: fc.integer({ min: 1, max: 20 }),
          blockSize: fc.integer({ min: 1, max: 8 }),
          keysPerStep: fc.integer({ min: 1, max: 24 }),
          kNaN: fc.nat(1000),
          vNaN: fc.nat(1000),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        (p) => {
          const [d, dv] = [3, 2];
          const q = seededTensor([1, 1, p.qLen, d], p.seed);
          const k = seededTensor([1, 1, p.kvLen, d], p.seed + 1);
          const v = seededTensor([1, 1, p.kvLen, dv], p.seed + 2);
          const kData = Float32Array.from(k.data);
          const vData = Float32Array.from(v.data);
          kData[p.kNaN % kData.length] = Number.NaN;
          vData[p.vNaN % vData.length] = Number.NaN;
          const allowed = randomAllowed(p.seed, 0.5, false, false);
          const mask = compileBlockMask(allowed, 1, 1, p.qLen, p.kvLen, p.blockSize);
          const [kt, vt] = [tf.tensor(kData, k.tensor.shape), tf.tensor(vData, v.tensor.shape)];
          const scale = 1 / Math.sqrt(d);
          const out = blockSparseAttentionReference(
            { q: q.tensor, k: kt, v: vt, ...mask },
            { blockSize: p.blockSize, qLen: p.qLen, kvLen: p.kvLen, scale },
            { keysPerStep: p.keysPerStep },
          );
          const expected = referenceAttention(
            {
              batch: 1,
              heads: 1,
              kvHeads: 1,
              qLen: p.qLen,
              kvLen: p.kvLen,
              headDim: d,
              valueDim: dv,
              q: q.data,
              k: kData,
              v: vData,
            },
            { scale, allowed },
          ).output;
          const got = out.dataSync();
          expected.forEach((e, i) => {
            if (Number.isNaN(e)) expect(got[i], `element ${i}`).toBeNaN();
            else expect(Math.abs(got[i]! - e), `element ${i}: ${got[i]} vs ${e}`).toBeLessThanOrEqual(1e-4);
          });
          tf.dispose([out, q.tensor, k.tensor, v.tensor, kt, vt, ...Object.values(mask)]);
        },
      ),
      { numRuns: 40, seed: 2121 },
    );
  });

  it('gives q, k, v and score-modifier gradients equal to the dense masked path', () => {
    const allowed = randomAllowed(9, 0.4, false, true);
    const q = seededTensor([1, 2, 23, 6], 1);
    const k = seededTensor([1, 1, 19, 6], 2);
    const v = seededTensor([1, 1, 19, 5], 3);
    const mask = compileBlockMask(allowed, 1, 2, 23, 19, 8);
    const slope = tf.variable(tf.tensor([0.3, -0.2]));
    const mod = scoreMod({
      name: 'head-distance',
      scalar: (s, _b, h, qi, kv) => s + [0.3, -0.2][h]! * Math.abs(qi - kv),
      tensor: (s, ctx) =>
        tf.add(
          s,
          tf.mul(
            tf.reshape(tf.slice(slope, [ctx.headStart], [ctx.headCount]), [1, ctx.headCount, 1, 1]),
            tf.abs(tf.sub(ctx.qPositions(), ctx.kvPositions())),
          ),
        ),
    });
    const attrs = { blockSize: 8, qLen: 23, kvLen: 19, scale: 0.4 };
    const loss = (sparse: boolean) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(
        tf.sin(
          sparse
            ? blockSparseAttentionReference({ q: a, k: b, v: c, ...mask }, attrs, {
                scoreMod: mod,
                keysPerStep: 8,
              })
            : scaledDotProductAttention(a, b, c, { mask: allowed, scale: 0.4, scoreMod: mod }),
        ),
      ) as tf.Scalar;
    const inputs = [q.tensor, k.tensor, v.tensor];
    const sparse = tf.grads(loss(true))(inputs);
    const dense = tf.grads(loss(false))(inputs);
    sparse.forEach((g, i) => {
      expectTensorsClose(g, dense[i]!, { atol: 1e-5, rtol: 1e-4 });
    });
    const slopeGrad = (sparseFlag: boolean) =>
      tf.variableGrads(() => loss(sparseFlag)(q.tensor, k.tensor, v.tensor)).grads[slope.name]!;
    const gs = slopeGrad(true);
    const gd = slopeGrad(false);
    expectTensorsClose(gs, gd, { atol: 1e-4, rtol: 1e-3 });
    expect(Math.abs(gs.dataSync()[0]!)).toBeGreaterThan(0);
    tf.dispose([...inputs, ...sparse, ...dense, gs, gd, slope, ...Object.values(mask)]);
  });

  it('gives zeros for rows with no allowed key and query blocks with no key block; leaks nothing', () => {
    // Rows 0–3 see nothing; rows 4–7 see key 0 only; rows ≥ 8 see everything.
    const allowed: Allowed = (_b, _h, q, kv) => q >= 8 || (q >= 4 && kv === 0);
    const q = seededTensor([1, 1, 12, 4], 5);
    const mask = compileBlockMask(allowed, 1, 1, 12, 9, 4);
    expect(Array.from(mask.kvNumBlocks.dataSync())).toEqual([0, 1, 0]);
    const attrs = { blockSize: 4, qLen: 12, kvLen: 9, scale: 0.5 };
    const kv = seededTensor([1, 1, 9, 4], 6);
    const inputs: BlockSparseAttentionInputs = { q: q.tensor, k: kv.tensor, v: kv.tensor, ...mask };
    const out = blockSparseAttentionKernel.run(inputs, attrs);
    const rows = (out.arraySync() as number[][][][])[0]![0]!;
    for (let i = 0; i < 4; i++) expect(rows[i]).toEqual([0, 0, 0, 0]);
    for (let i = 4; i < 8; i++) expectTensorsClose(rows[i]!, kv.data.slice(0, 4), { atol: 1e-6 });
    expect(rows.flat().every(Number.isFinite)).toBe(true);
    expectNoLeaks(() => blockSparseAttentionKernel.run(inputs, attrs));
    expect(listKernelContracts()).toContain('EABlockSparseAttention');
    tf.dispose([out, q.tensor, kv.tensor, ...Object.values(mask)]);
  });

  it('rejects attributes and mask tensors that do not fit the inputs', () => {
    const x = tf.zeros([1, 1, 8, 2]);
    const mask = compileBlockMask(() => true, 1, 1, 8, 8, 4);
    const run =
      (attrs: object, extra: object = {}) =>
      () =>
        blockSparseAttentionReference({ q: x, k: x, v: x, ...mask, ...extra } as BlockSparseAttentionInputs, {
          blockSize: 4,
          qLen: 8,
          kvLen: 8,
          scale: 1,
          ...attrs,
        });
    expect(run({ kvLen: 16 })).toThrow(/`attrs.kvLen` must be k's length 8, received 16/);
    expect(run({ blockSize: 0 })).toThrow(/`attrs.blockSize` must be an integer ≥ 1, received 0/);
    expect(run({ blockSize: 2 })).toThrow(/kvNumBlocks.shape/);
    const bad = tf.tensor4d([5, 1, 0, 1], [1, 1, 2, 2], 'int32');
    expect(run({}, { fullKvIndices: bad })).toThrow(/distinct key-block indices in \[0, 2\)/);
    const floats = tf.zeros([1, 1, 2]);
    expect(run({}, { kvNumBlocks: floats })).toThrow(/kvNumBlocks.dtype/);
    tf.dispose([x, bad, floats, ...Object.values(mask)]);
  });
});
