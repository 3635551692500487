import { InvalidArgumentError } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { spanAttention } from './span-attention.js';
import { rampScore64 } from './test-support/float64.js';

// float32 attention (≤ 16-dim dots, ≤ 72 keys, online softmax across key steps) vs float64.
const TOL = { atol: 3e-5, rtol: 3e-4 };

describeBackends('spanAttention', () => {
  it('block-sparse and dense execution both equal the float64 reference (per-head and per-query spans, GQA, KV-cache offsets)', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          kvHeads: fc.integer({ min: 1, max: 2 }),
          group: fc.integer({ min: 1, max: 2 }),
          qLen: fc.integer({ min: 1, max: 48 }),
          extra: fc.integer({ min: 0, max: 24 }),
          headDim: fc.integer({ min: 1, max: 16 }),
          causal: fc.boolean(),
          perQuery: fc.boolean(),
          rampSize: fc.double({ min: 0.5, max: 12, noNaN: true }),
          maxSpan: fc.integer({ min: 1, max: 64 }),
          blockSize: fc.constantFrom(4, 8, 16, 32),
          seed: fc.integer({ min: 0, max: 100_000 }),
        }),
        (p) => {
          const kvLen = p.qLen + p.extra;
          const heads = p.kvHeads * p.group; // grouped-query attention when group > 1
          const q = seededTensor([p.batch, heads, p.qLen, p.headDim], p.seed);
          const k = seededTensor([p.batch, p.kvHeads, kvLen, p.headDim], p.seed + 1);
          const v = seededTensor([p.batch, p.kvHeads, kvLen, p.headDim], p.seed + 2);
          const spanShape = p.perQuery ? [p.batch, heads, p.qLen, 1] : [heads];
          const size = spanShape.reduce((a, b) => a * b, 1);
          // Spans in [−2, S + 4]: the clamp to [0, S] is exercised too.
          const spanValues = Float32Array.from(
            seededTensor([size], p.seed + 3).data,
            (x) => Math.abs(x) * (p.maxSpan / 2) - 2,
          );
          const spans = tf.tensor(spanValues, spanShape);
          const spanOf = (b: number, h: number, i: number) => {
            const raw = p.perQuery ? spanValues[(b * heads + h) * p.qLen + i]! : spanValues[h]!;
            return Math.min(p.maxSpan, Math.max(0, raw));
          };
          const ref = referenceAttention(
            {
              q: q.data,
              k: k.data,
              v: v.data,
              batch: p.batch,
              heads,
              kvHeads: p.kvHeads,
              qLen: p.qLen,
              kvLen,
              headDim: p.headDim,
              valueDim: p.headDim,
            },
            {
              causal: p.causal,
              scoreMod: (s, b, h, i, j) =>
                rampScore64(s, Math.abs(i + p.extra - j), spanOf(b, h, i), p.rampSize, p.maxSpan),
            },
          );
          const opts = { causal: p.causal, rampSize: p.rampSize, maxSpan: p.maxSpan, blockSize: p.blockSize };
          const sparse = spanAttention(q.tensor, k.tensor, v.tensor, spans, opts);
          const dense = spanAttention(q.tensor, k.tensor, v.tensor, spans, { ...opts, execution: 'dense' });
          try {
            expectTensorsClose(sparse, ref.output, TOL);
            expectTensorsClose(dense, ref.output, TOL);
          } finally {
            tf.dispose([q.tensor, k.tensor, v.tensor, spans, sparse, dense]);
          }
        },
      ),
      { numRuns: 20, seed: 1907 },
    );
  });

  it('never reads keys outside the trimmed window: NaN keys/values in skipped blocks leave the output exact', () => {
    // N = 64, blocks of 8, causal, spans 1.5 and 3 with R = 4: trimmed spans 6 and 7, window 7 → each query
    // block visits itself and the previous block. Keys 0–7 (block 0) are poisoned with NaN; query blocks
    // ≥ 2 never visit block 0.
    const q = seededTensor([1, 2, 64, 8], 11);
    const k = seededTensor([1, 2, 64, 8], 12);
    const v = seededTensor([1, 2, 64, 8], 13);
    const poison = (t: Float64Array) =>
      Float32Array.from(t, (x, i) => (Math.floor(i / 8) % 64 < 8 ? Number.NaN : x));
    const kp = tf.tensor(poison(k.data), [1, 2, 64, 8]);
    const vp = tf.tensor(poison(v.data), [1, 2, 64, 8]);
    const spans = tf.tensor1d([1.5, 3]);
    const out = spanAttention(q.tensor, kp, vp, spans, {
      causal: true,
      rampSize: 4,
      maxSpan: 64,
      blockSize: 8,
    });
    const ref = referenceAttention(
      {
        q: q.data,
        k: k.data,
        v: v.data,
        batch: 1,
        heads: 2,
        kvHeads: 2,
        qLen: 64,
        kvLen: 64,
        headDim: 8,
        valueDim: 8,
      },
      { causal: true, scoreMod: (s, _b, h, i, j) => rampScore64(s, i - j, [1.5, 3][h]!, 4, 64) },
    );
    const got = out.dataSync();
    const rowsFrom16 = (data: ArrayLike<number>) =>
      Array.from({ length: 2 }, (_, h) => Array.from(data).slice((h * 64 + 16) * 8, (h + 1) * 64 * 8)).flat();
    expect(rowsFrom16(got).every(Number.isFinite)).toBe(true);
    expectTensorsClose(rowsFrom16(got), rowsFrom16(ref.output), TOL);
    tf.dispose([q.tensor, k.tensor, v.tensor, kp, vp, spans, out]);
  });

  it('gives the spans the same gradient through block-sparse and dense execution', () => {
    const q = seededTensor([1, 2, 40, 8], 21);
    const k = seededTensor([1, 2, 40, 8], 22);
    const v = seededTensor([1, 2, 40, 8], 23);
    const w = seededTensor([1, 2, 40, 8], 24);
    const z = tf.variable(tf.tensor1d([3.3, 11.7]));
    const gradFor = (execution: 'block-sparse' | 'dense') => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.sum(
            tf.mul(
              spanAttention(q.tensor, k.tensor, v.tensor, z, {
                causal: true,
                rampSize: 5,
                maxSpan: 32,
                blockSize: 8,
                execution,
              }),
              w.tensor,
            ),
          ) as tf.Scalar,
        [z],
      );
      value.dispose();
      return grads[z.name]!;
    };
    const sparse = gradFor('block-sparse');
    const dense = gradFor('dense');
    // Same function, different summation order (online softmax over blocks).
    expectTensorsClose(sparse, dense, { atol: 1e-5, rtol: 1e-4 });
    expect(Math.abs(dense.dataSync()[1]!)).toBeGreaterThan(1e-4);
    tf.dispose([q.tensor, k.tensor, v.tensor, w.tensor, z, sparse, dense]);
  });

  it('leaks no tensors, forward or backward', () => {
    const q = seededTensor([1, 2, 24, 4], 31).tensor;
    const z = tf.variable(tf.tensor1d([2, 5]));
    expectNoLeaks(() => spanAttention(q, q, q, z, { causal: true, rampSize: 2, maxSpan: 16, blockSize: 8 }));
    expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(spanAttention(q, q, q, z, { rampSize: 2, maxSpan: 16, blockSize: 8 })) as tf.Scalar,
        [z],
      );
      return [value, ...Object.values(grads)];
    });
    tf.dispose([q, z]);
  });

  it('rejects more queries than keys, bad execution, block size, spans and options', () => {
    const q = tf.zeros([1, 2, 8, 4]);
    const k = tf.zeros([1, 2, 6, 4]);
    const z = tf.tensor1d([2, 2]);
    expect(() => spanAttention(q, k, k, z)).toThrow(/`q.shape\[2\] \(qLen\)` must be at most k's length 6/);
    expect(() => spanAttention(q, q, q, z, { execution: 'fast' as never })).toThrow(InvalidArgumentError);
    expect(() => spanAttention(q, q, q, z, { blockSize: 0 })).toThrow(/options.blockSize/);
    expect(() => spanAttention(q, q, q, z, { rampSize: 0 })).toThrow(/options.rampSize/);
    expect(() => spanAttention(q, q, q, z, { causal: 1 as never })).toThrow(/options.causal/);
    expect(() => spanAttention(q, q, q, z, { mask: () => true } as never)).toThrow(/options.mask/);
    const three = tf.tensor1d([1, 2, 3]);
    expect(() => spanAttention(q, q, q, three)).toThrow(/`spans` must be a float32 tensor of shape \[2\]/);
    tf.dispose([q, k, z, three]);
  });
});
