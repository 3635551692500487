import {
  type AttentionCaseParams,
  attentionCaseArbitrary,
  caseMaskPredicate,
  describeBackends,
  referenceAttention,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { fusedAttentionKernel } from './kernels/fused-attention.js';
import { memoryEfficientAttention } from './memory-efficient-attention.js';
import { createRandom } from './random.js';
import { scaledDotProductAttention } from './scaled-dot-product-attention.js';

/**
 * The NaN rule (ARCHITECTURE.md): a NaN input reaches exactly the outputs that can see it — the semantics of
 * test-utils' float64 `referenceAttention`, where a masked key contributes nothing (its score, weight and
 * value are never read) and a NaN in a visible query, key or value reaches that row. Fully masked rows are 0.
 */
const TOL = { atol: 3e-5, rtol: 3e-4 };

/** Unit normals with NaN at the given flat indices (and one +∞ in a value when `inf` is set). */
function poisoned(size: number, seed: number, nans: number[], inf?: number): Float32Array {
  const rng = createRandom(seed);
  const data = Float32Array.from(rng.normalArray(size));
  for (const i of nans) data[i % size] = Number.NaN;
  if (inf !== undefined) data[inf % size] = Number.POSITIVE_INFINITY;
  return data;
}

function expectSameNaNsAndClose(got: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const g = got[i]!;
    if (Number.isNaN(e)) {
      expect(g, `${what}: element ${i} must be NaN (it sees a NaN)`).toBeNaN();
    } else if (!Number.isFinite(e)) {
      expect(g, `${what}: element ${i}`).toBe(e);
    } else {
      expect(Number.isFinite(g), `${what}: element ${i} is ${g}, expected ${e}`).toBe(true);
      expect(Math.abs(g - e), `${what}: element ${i} is ${g}, expected ${e}`).toBeLessThanOrEqual(
        TOL.atol + TOL.rtol * Math.abs(e),
      );
    }
  }
}

const nanCase = fc.record({
  shape: attentionCaseArbitrary(10),
  qNaNs: fc.array(fc.nat(10_000), { maxLength: 1 }),
  kNaNs: fc.array(fc.nat(10_000), { maxLength: 2 }),
  vNaNs: fc.array(fc.nat(10_000), { maxLength: 2 }),
  vInf: fc.option(fc.nat(10_000), { nil: undefined }),
  qChunk: fc.integer({ min: 1, max: 4 }),
  kChunk: fc.integer({ min: 1, max: 4 }),
});

function build(p: AttentionCaseParams, qNaNs: number[], kNaNs: number[], vNaNs: number[], vInf?: number) {
  const heads = p.kvHeads * p.group;
  const qShape = [p.batch, heads, p.qLen, p.headDim];
  const kShape = [p.batch, p.kvHeads, p.kvLen, p.headDim];
  const vShape = [p.batch, p.kvHeads, p.kvLen, p.valueDim];
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const qd = poisoned(size(qShape), p.seed, qNaNs);
  const kd = poisoned(size(kShape), p.seed + 1, kNaNs);
  const vd = poisoned(size(vShape), p.seed + 2, vNaNs, vInf);
  const predicate = caseMaskPredicate(p.seed);
  let mask: ((b: number, h: number, q: number, kv: number) => boolean) | tf.Tensor | undefined;
  if (p.maskKind === 'predicate') mask = predicate;
  if (p.maskKind === 'tensor') {
    const data = new Uint8Array(p.batch * heads * p.qLen * p.kvLen);
    let i = 0;
    for (let b = 0; b < p.batch; b++)
      for (let h = 0; h < heads; h++)
        for (let r = 0; r < p.qLen; r++)
          for (let c = 0; c < p.kvLen; c++) data[i++] = predicate(b, h, r, c) ? 1 : 0;
    mask = tf.tensor(data, [p.batch, heads, p.qLen, p.kvLen], 'bool');
  }
  const expected = referenceAttention(
    {
      q: qd,
      k: kd,
      v: vd,
      batch: p.batch,
      heads,
      kvHeads: p.kvHeads,
      qLen: p.qLen,
      kvLen: p.kvLen,
      headDim: p.headDim,
      valueDim: p.valueDim,
    },
    { causal: p.causal, ...(p.maskKind === 'none' ? {} : { allowed: predicate }) },
  ).output;
  return {
    q: tf.tensor(qd, qShape),
    k: tf.tensor(kd, kShape),
    v: tf.tensor(vd, vShape),
    mask,
    expected,
  };
}

describeBackends('NaN rule on the reference paths', () => {
  it('the float64 referenceAttention itself: a masked NaN key or value reaches nothing, a visible one its row', () => {
    const nan = Number.NaN;
    // One head, 2 queries, 3 keys, causal: query 0 sees key 0 (kvLen − qLen = 1: keys 0..1), query 1 all.
    const dims = { batch: 1, heads: 1, kvHeads: 1, qLen: 2, kvLen: 3, headDim: 1, valueDim: 2 };
    const q = [1, 1];
    const keyNaN = referenceAttention(
      { ...dims, q, k: [0, 0, nan], v: [1, 2, 3, 4, 5, 6] },
      { causal: true },
    );
    expect(Array.from(keyNaN.output.slice(0, 2))).toEqual([2, 3]); // mean of v0, v1: never read key 2
    expect(Array.from(keyNaN.output.slice(2))).toEqual([nan, nan]);
    const valueNaN = referenceAttention(
      { ...dims, q, k: [0, 0, 0], v: [1, 2, 3, 4, nan, 6] },
      { causal: true },
    );
    expect(Array.from(valueNaN.output.slice(0, 2))).toEqual([2, 3]);
    expect(valueNaN.output[2]).toBeNaN(); // column 0 sees v[2][0] = NaN
    expect(valueNaN.output[3]).toBeCloseTo(4, 12); // column 1 does not
  });

  it('scaledDotProductAttention, memoryEfficientAttention and the fused-attention reference follow the float64 reference', () => {
    fc.assert(
      fc.property(nanCase, ({ shape, qNaNs, kNaNs, vNaNs, vInf, qChunk, kChunk }) => {
        const c = build(shape, qNaNs, kNaNs, vNaNs, vInf);
        const options = { causal: shape.causal, ...(c.mask === undefined ? {} : { mask: c.mask }) };
        const before = tf.memory().numTensors;
        const outs = {
          scaledDotProductAttention: scaledDotProductAttention(c.q, c.k, c.v, options),
          memoryEfficientAttention: memoryEfficientAttention(c.q, c.k, c.v, {
            ...options,
            queryChunkSize: qChunk,
            keyChunkSize: kChunk,
          }),
          ...(c.mask === undefined
            ? {
                fusedAttentionReference: fusedAttentionKernel.reference(
                  { q: c.q, k: c.k, v: c.v },
                  { scale: 1 / Math.sqrt(shape.headDim), causal: shape.causal },
                ),
              }
            : {}),
        };
        for (const [name, out] of Object.entries(outs))
          expectSameNaNsAndClose(out.dataSync(), c.expected, name);
        tf.dispose(Object.values(outs));
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([c.q, c.k, c.v, ...(c.mask instanceof tf.Tensor ? [c.mask] : [])]);
      }),
      { numRuns: 60, seed: 2121 },
    );
  });

  it('differentiates through a non-finite value: rows that cannot see it get finite gradients', () => {
    const q = tf.tensor([0.1, 0.2, 0.3, -0.4, 0.5, 0.6], [1, 1, 3, 2]);
    const k = tf.tensor([0.3, 0.1, -0.2, 0.4, 0.5, -0.1], [1, 1, 3, 2]);
    // The last key's value is NaN: under causal masking only the last query sees it.
    const v = tf.tensor([1, 2, 3, 4, Number.NaN, 6], [1, 1, 3, 2]);
    const before = tf.memory().numTensors;
    for (const attend of [
      (x: tf.Tensor) => scaledDotProductAttention(x, k, v, { causal: true }),
      (x: tf.Tensor) => memoryEfficientAttention(x, k, v, { causal: true, keyChunkSize: 2 }),
    ]) {
      const dq = tf.grad((x: tf.Tensor) => tf.sum(tf.slice(attend(x), [0, 0, 0, 0], [1, 1, 2, 2])))(q);
      expect(Array.from(dq.dataSync().slice(0, 4)).every(Number.isFinite)).toBe(true);
      dq.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v]);
  });

  it('a NaN key never reaches the rows causally before it (the issue-21 counterexample)', () => {
    const q = tf.ones([1, 1, 4, 2]);
    const kData = Float32Array.from([0, 0, 1, 0, 0, 1, Number.NaN, 0]);
    const k = tf.tensor(kData, [1, 1, 4, 2]);
    const v = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 4, 2]);
    for (const out of [
      scaledDotProductAttention(q, k, v, { causal: true }),
      memoryEfficientAttention(q, k, v, { causal: true, keyChunkSize: 2 }),
    ]) {
      const o = out.dataSync();
      expect(Array.from(o.slice(0, 6)).every(Number.isFinite)).toBe(true);
      expect(o[6]).toBeNaN();
      expect(o[7]).toBeNaN();
      expect([o[0], o[1]]).toEqual([1, 2]); // row 0 sees key 0 only
      out.dispose();
    }
    tf.dispose([q, k, v]);
  });
});
