import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { hammingAttention } from './hamming-attention.js';

const sign = (x: number) => (x > 0 ? 1 : -1);

describeBackends('hammingAttention', () => {
  it('equals float64 softmax attention over sign(q), sign(k) (random shapes, causal, cross, GQA)', () => {
    // float32 softmax and P·v over ≤ 40 keys: atol 2e-5, rtol 2e-4 against the float64 reference.
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          kvHeads: fc.integer({ min: 1, max: 2 }),
          group: fc.integer({ min: 1, max: 2 }),
          qLen: fc.integer({ min: 1, max: 40 }),
          kvLen: fc.integer({ min: 1, max: 40 }),
          d: fc.integer({ min: 1, max: 70 }),
          dv: fc.integer({ min: 1, max: 9 }),
          causal: fc.boolean(),
          scale: fc.option(fc.constantFrom(0.05, 0.5, -0.3), { nil: undefined }),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        ({ batch, kvHeads, group, qLen, kvLen, d, dv, causal, scale, seed }) => {
          const heads = kvHeads * group;
          const q = seededTensor([batch, heads, qLen, d], seed);
          const k = seededTensor([batch, kvHeads, kvLen, d], seed + 1);
          const v = seededTensor([batch, kvHeads, kvLen, dv], seed + 2);
          const out = hammingAttention(q.tensor, k.tensor, v.tensor, {
            causal,
            ...(scale !== undefined ? { scale } : {}),
          });
          const ref = referenceAttention(
            {
              q: q.data.map(sign),
              k: k.data.map(sign),
              v: v.data,
              batch,
              heads,
              kvHeads,
              qLen,
              kvLen,
              headDim: d,
              valueDim: dv,
            },
            { causal, scale: scale ?? 1 / Math.sqrt(d) },
          );
          expect(out.shape).toEqual([batch, heads, qLen, dv]);
          expectTensorsClose(out, ref.output, { atol: 2e-5, rtol: 2e-4 });
          tf.dispose([q.tensor, k.tensor, v.tensor, out]);
        },
      ),
      { numRuns: 30, seed: 5 },
    );
  });

  it('gives zeros, not NaN, for query rows that see no key (causal, qLen > kvLen)', () => {
    const q = seededTensor([1, 1, 5, 8], 1);
    const k = seededTensor([1, 1, 2, 8], 2);
    const out = hammingAttention(q.tensor, k.tensor, k.tensor, { causal: true }).arraySync()[0]![0]!;
    expect(out[0]).toEqual(Array(8).fill(0));
    expect(out[2]).toEqual(Array(8).fill(0));
    expect(out[3]!.every(Number.isFinite) && out[3]!.some((x) => x !== 0)).toBe(true);
    tf.dispose([q.tensor, k.tensor]);
  });

  it('gradients: exact for v, straight-through (|x| ≤ 1) for q and k, against float64 finite differences', () => {
    const [heads, kvHeads, qLen, kvLen, d, dv] = [2, 1, 5, 4, 6, 3];
    const q = seededTensor([1, heads, qLen, d], 11);
    const k = seededTensor([1, kvHeads, kvLen, d], 12);
    const v = seededTensor([1, kvHeads, kvLen, dv], 13);
    const c = seededTensor([1, heads, qLen, dv], 14);
    const scale = 0.4;
    const loss = (qs: Float64Array, ks: Float64Array, vs: Float64Array) =>
      referenceAttention(
        { q: qs, k: ks, v: vs, batch: 1, heads, kvHeads, qLen, kvLen, headDim: d, valueDim: dv },
        { causal: true, scale },
      ).output.reduce((s, o, i) => s + o * c.data[i]!, 0);
    const sq = q.data.map(sign);
    const sk = k.data.map(sign);
    const [dq, dk, dvGrad] = tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) =>
      tf.sum(tf.mul(hammingAttention(a, b, e, { causal: true, scale }), c.tensor)),
    )([q.tensor, k.tensor, v.tensor]);
    // The loss is smooth in the relaxed signs and linear in v: central differences (eps 1e-5) are accurate
    // to ~1e-9; float32 autodiff to ~1e-6. atol 1e-5.
    const band = (x: Float64Array) => x.map((t) => (Math.abs(t) <= 1 ? 1 : 0));
    const expectedDq = finiteDifferenceGradient((x) => loss(x, sk, v.data), sq).map(
      (g, i) => g * band(q.data)[i]!,
    );
    const expectedDk = finiteDifferenceGradient((x) => loss(sq, x, v.data), sk).map(
      (g, i) => g * band(k.data)[i]!,
    );
    const expectedDv = finiteDifferenceGradient((x) => loss(sq, sk, x), v.data);
    expectTensorsClose(dq!, expectedDq, { atol: 1e-5, rtol: 1e-4 });
    expectTensorsClose(dk!, expectedDk, { atol: 1e-5, rtol: 1e-4 });
    expectTensorsClose(dvGrad!, expectedDv, { atol: 1e-5, rtol: 1e-4 });
    expect(band(q.data).some((x) => x === 0) && expectedDq.some((x) => x !== 0)).toBe(true); // both cases occur
    // The identity estimator passes the relaxed gradient everywhere.
    const dqIdentity = tf.grad((a: tf.Tensor) =>
      tf.sum(
        tf.mul(hammingAttention(a, k.tensor, v.tensor, { causal: true, scale, ste: 'identity' }), c.tensor),
      ),
    )(q.tensor);
    expectTensorsClose(
      dqIdentity,
      finiteDifferenceGradient((x) => loss(x, sk, v.data), sq),
      { atol: 1e-5, rtol: 1e-4 },
    );
    expectNoLeaks(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => tf.sum(hammingAttention(a, b, e)))([
        q.tensor,
        k.tensor,
        v.tensor,
      ]),
    );
    tf.dispose([q.tensor, k.tensor, v.tensor, c.tensor, dq!, dk!, dvGrad!, dqIdentity]);
  });

  it('is leak-free and rejects bad options', () => {
    const x = seededTensor([1, 2, 8, 4], 3);
    expectNoLeaks(() => hammingAttention(x.tensor, x.tensor, x.tensor, { causal: true }));
    expect(() => hammingAttention(x.tensor, x.tensor, x.tensor, { scale: Number.NaN })).toThrow(
      /hammingAttention: `options.scale` must be a finite number, received NaN/,
    );
    expect(() => hammingAttention(x.tensor, x.tensor, x.tensor, { ste: 'sigmoid' as 'clipped' })).toThrow(
      /`options.ste` must be "clipped" or "identity"/,
    );
    expect(() => hammingAttention(x.tensor, x.tensor, x.tensor, { mask: () => true } as object)).toThrow(
      /`options.mask` must be one of the known options/,
    );
    const k3 = tf.zeros([1, 2, 8, 5]);
    expect(() => hammingAttention(x.tensor, k3, x.tensor)).toThrow(/`k.shape\[3\] \(headDim\)` must be 4/);
    tf.dispose([x.tensor, k3]);
  });
});
