import {
  attentionCaseArbitrary,
  buildAttentionCase,
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
import { scaledDotProductAttention } from './scaled-dot-product-attention.js';
import { scoreMod } from './types.js';

// Tolerance against the float64 reference: float32 accumulation over ≤ 80 keys of unit-normal inputs.
const TOL = { atol: 2e-5, rtol: 2e-4 };

describeBackends('scaledDotProductAttention', () => {
  it('equals the float64 reference over random shapes, GQA, cross-attention, causal and masks', () => {
    fc.assert(
      fc.property(attentionCaseArbitrary(80), (p) => {
        const c = buildAttentionCase(p);
        try {
          const { output, weights } = scaledDotProductAttention(c.q, c.k, c.v, {
            causal: p.causal,
            ...(c.mask ? { mask: c.mask } : {}),
            returnWeights: true,
          });
          expectTensorsClose(output, c.reference.output, TOL);
          expectTensorsClose(weights, c.reference.weights, TOL);
          tf.dispose([output, weights]);
        } finally {
          c.dispose();
        }
      }),
      { numRuns: 30, seed: 20261123 },
    );
  });

  it('gives zeros, not NaN, for rows with every key masked', () => {
    const q = seededTensor([1, 1, 4, 8], 1);
    const allMasked = tf.tensor(
      [
        [1, 1, 1, 1],
        [0, 0, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      [4, 4],
      'bool',
    );
    const out = scaledDotProductAttention(q.tensor, q.tensor, q.tensor, { mask: allMasked });
    const rows = out.arraySync()[0]![0]!;
    expect(rows[1]).toEqual(Array(8).fill(0));
    expect(rows[3]).toEqual(Array(8).fill(0));
    expect(rows[0]!.every(Number.isFinite)).toBe(true);
    // Causal with more queries than keys (bottom-right aligned): the first rows see no key.
    const k = seededTensor([1, 1, 2, 8], 2);
    const causal = scaledDotProductAttention(q.tensor, k.tensor, k.tensor, {
      causal: true,
    }).arraySync()[0]![0]!;
    expect(causal[0]).toEqual(Array(8).fill(0));
    expect(causal[1]).toEqual(Array(8).fill(0));
    expect(causal[2]!.some((x) => x !== 0)).toBe(true);
    tf.dispose([q.tensor, k.tensor, allMasked, out]);
  });

  it('applies score modifiers in tensor form (differentiable) and scalar form, equal to the reference', () => {
    const p = { batch: 1, heads: 2, qLen: 70, kvLen: 70, headDim: 8 };
    const q = seededTensor([1, 2, 70, 8], 3);
    const k = seededTensor([1, 2, 70, 8], 4);
    const v = seededTensor([1, 2, 70, 8], 5);
    const slope = (h: number) => 0.5 / (h + 1);
    const alibiLike = scoreMod({
      name: 'alibi-like',
      scalar: (s, _b, h, qi, kv) => s - slope(h) * Math.abs(qi - kv),
      tensor: (s, ctx) => {
        const slopes = tf.reshape(
          tf.tensor(Array.from({ length: ctx.headCount }, (_, i) => slope(ctx.headStart + i))),
          [1, ctx.headCount, 1, 1],
        );
        return tf.sub(s, tf.mul(slopes, tf.abs(tf.sub(ctx.qPositions(), ctx.kvPositions()))));
      },
    });
    const scalarOnly = scoreMod({ name: 'scalar', scalar: alibiLike.scalar });
    const ref = referenceAttention(
      { q: q.data, k: k.data, v: v.data, ...p, kvHeads: 2, valueDim: 8 },
      { causal: true, scoreMod: alibiLike.scalar },
    );
    for (const mod of [alibiLike, scalarOnly]) {
      const out = scaledDotProductAttention(q.tensor, k.tensor, v.tensor, { causal: true, scoreMod: mod });
      expectTensorsClose(out, ref.output, TOL);
      out.dispose();
    }
    tf.dispose([q.tensor, k.tensor, v.tensor]);
  });

  it('has gradients for q, k and v equal to finite differences of the float64 reference', () => {
    const dims = { batch: 1, heads: 2, kvHeads: 1, qLen: 5, kvLen: 6, headDim: 3, valueDim: 2 };
    const q = seededTensor([1, 2, 5, 3], 7);
    const k = seededTensor([1, 1, 6, 3], 8);
    const v = seededTensor([1, 1, 6, 2], 9);
    const w = seededTensor([1, 2, 5, 2], 10);
    const allowed = (_b: number, _h: number, i: number, j: number) => (i + j) % 4 !== 1;
    const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array) => {
      const { output } = referenceAttention({ ...dims, q: qq, k: kk, v: vv }, { causal: true, allowed });
      return output.reduce((s, x, i) => s + x * w.data[i]!, 0);
    };
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(scaledDotProductAttention(a, b, c, { causal: true, mask: allowed }), w.tensor)),
    )([q.tensor, k.tensor, v.tensor]);
    const fd = [
      finiteDifferenceGradient((x) => loss(x, k.data, v.data), q.data),
      finiteDifferenceGradient((x) => loss(q.data, x, v.data), k.data),
      finiteDifferenceGradient((x) => loss(q.data, k.data, x), v.data),
    ];
    grads.forEach((g, i) => {
      expectTensorsClose(g, fd[i]!, { atol: 1e-4, rtol: 1e-3 });
    });
    tf.dispose([q.tensor, k.tensor, v.tensor, w.tensor, ...grads]);
  });

  it('leaks no tensors', () => {
    const x = seededTensor([2, 2, 70, 8], 11);
    const m = tf.ones([70, 70], 'bool');
    expectNoLeaks(() => scaledDotProductAttention(x.tensor, x.tensor, x.tensor, { causal: true }));
    expectNoLeaks(() =>
      scaledDotProductAttention(x.tensor, x.tensor, x.tensor, { mask: m, returnWeights: true }),
    );
    expectNoLeaks(() =>
      scaledDotProductAttention(x.tensor, x.tensor, x.tensor, { mask: (_b, _h, q, kv) => q >= kv }),
    );
    tf.dispose([x.tensor, m]);
  });

  it('rejects bad input with the parameter, the expected and the received value', () => {
    const q = tf.zeros([1, 2, 4, 8]);
    const call =
      (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor, o: object = {}) =>
      () =>
        scaledDotProductAttention(qq, kk, vv, o);
    expect(call(tf.zeros([2, 4, 8]), q, q)).toThrow(
      /`q` must be a rank-4 tensor \[batch, heads, seq, headDim\], received a float32 tensor of shape \[2, 4, 8\]/,
    );
    expect(call(q, tf.zeros([2, 2, 4, 8]), tf.zeros([2, 2, 4, 8]))).toThrow(
      /`k.shape\[0\] \(batch\)` must be 1 \(q's batch\), received 2/,
    );
    expect(call(q, tf.zeros([1, 2, 4, 4]), q)).toThrow(/`k.shape\[3\] \(headDim\)` must be 8/);
    expect(call(q, q, tf.zeros([1, 2, 5, 8]))).toThrow(/`v.shape\[2\] \(seq\)` must be 4/);
    expect(call(tf.zeros([1, 3, 4, 8]), q, q)).toThrow(/a divisor of q's 3 heads/);
    expect(call(q, q, q, { scale: Number.NaN })).toThrow(
      /`options.scale` must be a finite number, received NaN/,
    );
    expect(call(q, q, q, { mask: tf.ones([3, 4], 'bool') })).toThrow(
      /`options.mask` must be a tensor broadcastable to \[1, 2, 4, 4\]/,
    );
    expect(call(q, q, q, { casual: true })).toThrow(/`options.casual` must be one of the known options/);
    expect(call(q, q, q, { causal: 'yes' })).toThrow(/`options.causal` must be a boolean/);
    expect(call(q, q, q, { scoreMod: () => 0 })).toThrow(/`options.scoreMod` must be a ScoreMod/);
    expect(call(tf.zeros([1, 2, 4, 8], 'int32'), q, q)).toThrow(/`q.dtype` must be "float32"/);
    tf.dispose(q);
  });

  it('throws before allocating N² scores that do not fit, naming memoryEfficientAttention (issue 21)', () => {
    const q = tf.zeros([1, 2, 8, 4]);
    const before = tf.memory().numTensors;
    // Scores [1, 2, 8, 8] and their softmax copy (2 · 128 floats) plus q, k, v (3 · 64): 1792 bytes.
    expect(() => scaledDotProductAttention(q, q, q, { maxScoresBytes: 1000 })).toThrow(
      /`q.shape\[2\] × k.shape\[2\] \(qLen × kvLen\)` must be small enough for the N² attention scores to fit in memory, received \[8, 8\]\. .*need 1\.8 KiB \(1792 bytes, with the inputs\) over options\.maxScoresBytes of 1000 bytes\. Use memoryEfficientAttention/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const out = scaledDotProductAttention(q, q, q, { maxScoresBytes: 1792 });
    expect(out.shape).toEqual([1, 2, 8, 4]);
    expect(() => scaledDotProductAttention(q, q, q, { maxScoresBytes: 0 })).toThrow(
      /`options.maxScoresBytes` must be a number of bytes > 0 \(or Infinity\), received 0/,
    );
    tf.dispose([q, out]);
  });

  it('the default limit rejects dense attention at N = 16384 on cpu and wasm without allocating', () => {
    // 2 heads of 16384² float32 scores and their softmax copy: 4 GiB on cpu's batched path, 2 GiB on wasm's
    // per-head path (one head at a time); with the inputs (128 KiB each), past the 4 GiB and 2 GiB limits.
    const q = tf.zeros([1, 2, 16384, 1]);
    const bytes = tf.memory().numBytes;
    const backend = tf.getBackend();
    expect(() => scaledDotProductAttention(q, q, q)).toThrow(
      new RegExp(
        `received \\[16384, 16384\\].* over the ${backend} backend's limit of ${backend === 'wasm' ? 2 : 4}\\.00 GiB\\. Use memoryEfficientAttention`,
      ),
    );
    expect(tf.memory().numBytes).toBe(bytes);
    q.dispose();
  });
});
