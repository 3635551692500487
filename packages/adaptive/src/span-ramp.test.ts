import { applyScoreMod, InvalidArgumentError, scaledDotProductAttention } from '@efficient-attention/core';
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
import { describe, expect, it } from 'vitest';
import { spanRampScoreMod, trimmedSpan } from './span-ramp.js';
import { rampMask64, rampScore64 } from './test-support/float64.js';

const NINF = Number.NEGATIVE_INFINITY;

/** Runs a score modifier's tensor form on zero scores of shape [batch, heads, qLen, kvLen]: gives log m. */
function logMask(
  mod: ReturnType<typeof spanRampScoreMod>,
  shape: [number, number, number, number],
): Float32Array {
  return tf.tidy(() => {
    const out = applyScoreMod('test', mod, tf.zeros(shape), {
      batchStart: 0,
      headStart: 0,
      qStart: 0,
      kvStart: 0,
      qLen: shape[2],
      kvLen: shape[3],
    });
    return out.dataSync() as Float32Array;
  });
}

describeBackends('spanRampScoreMod', () => {
  it('gives m_z(x) = clamp((R + z − x)/R, 0, 1) for x = |q + offset − kv| < S, 0 beyond S (both forms)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -3, max: 70, noNaN: true }), { minLength: 1, maxLength: 3 }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 20 }),
        (spans, rampSize, maxSpan, qLen, extra) => {
          const kvLen = qLen + extra;
          const heads = spans.length;
          const z = tf.tensor1d(spans);
          const mod = spanRampScoreMod(z, { rampSize, maxSpan, offset: extra });
          const got = logMask(mod, [1, heads, qLen, kvLen]);
          const values = z.dataSync();
          const mismatches: string[] = [];
          let i = 0;
          for (let h = 0; h < heads; h++)
            for (let q = 0; q < qLen; q++)
              for (let kv = 0; kv < kvLen; kv++, i++) {
                // Spans are clamped to [0, S] before the ramp.
                const zc = Math.min(maxSpan, Math.max(0, values[h]!));
                const m = rampMask64(Math.abs(q + extra - kv), zc, rampSize, maxSpan);
                const scalar = mod.scalar(0, 0, h, q, kv);
                // Zero exactly where m = 0 (score −∞); elsewhere float32 ramp arithmetic: |Δm| ≤ 2e-6.
                const ok =
                  m === 0
                    ? got[i] === NINF && scalar === NINF
                    : Math.abs(Math.exp(got[i]!) - m) < 2e-6 && Math.abs(Math.exp(scalar) - m) < 2e-6;
                if (!ok) mismatches.push(`h${h} q${q} kv${kv}: m=${m}, tensor ${got[i]}, scalar ${scalar}`);
              }
          expect(mismatches.slice(0, 3)).toEqual([]);
          z.dispose();
        },
      ),
      { numRuns: 30, seed: 1905 },
    );
  });

  it('reads per-query spans [batch, heads, qLen, 1] and slices them per block', () => {
    const values = [3, 0, 7.5, 1, 2, 6];
    const z = tf.tensor4d(values, [1, 2, 3, 1]);
    const mod = spanRampScoreMod(z, { rampSize: 2, maxSpan: 16 });
    const got = logMask(mod, [1, 2, 3, 5]);
    let i = 0;
    for (let h = 0; h < 2; h++)
      for (let q = 0; q < 3; q++)
        for (let kv = 0; kv < 5; kv++, i++) {
          const m = rampMask64(Math.abs(q - kv), values[h * 3 + q]!, 2, 16);
          expect(got[i] === NINF ? 0 : Math.exp(got[i]!)).toBeCloseTo(m, 6);
        }
    // A block that starts at head 1, query 2 reads the spans of that head and query.
    const block = tf.tidy(() =>
      applyScoreMod('test', mod, tf.zeros([1, 1, 1, 5]), {
        batchStart: 0,
        headStart: 1,
        qStart: 2,
        kvStart: 0,
        qLen: 3,
        kvLen: 5,
      }).dataSync(),
    );
    expect(Array.from(block, (s) => (s === NINF ? 0 : Math.exp(s)))).toEqual(
      [0, 1, 2, 3, 4].map((kv) => expect.closeTo(rampMask64(Math.abs(2 - kv), 6, 2, 16), 6)),
    );
    z.dispose();
  });

  it('in core attention equals the float64 reference with the ramp score, causal or not', () => {
    for (const causal of [true, false]) {
      const q = seededTensor([1, 2, 40, 8], 1);
      const k = seededTensor([1, 2, 40, 8], 2);
      const v = seededTensor([1, 2, 40, 8], 3);
      const spans = [5.5, 17.25];
      const z = tf.tensor1d(spans);
      const out = scaledDotProductAttention(q.tensor, k.tensor, v.tensor, {
        causal,
        scoreMod: spanRampScoreMod(z, { rampSize: 6, maxSpan: 30 }),
      });
      const ref = referenceAttention(
        {
          q: q.data,
          k: k.data,
          v: v.data,
          batch: 1,
          heads: 2,
          kvHeads: 2,
          qLen: 40,
          kvLen: 40,
          headDim: 8,
          valueDim: 8,
        },
        { causal, scoreMod: (s, _b, h, i, j) => rampScore64(s, Math.abs(i - j), spans[h]!, 6, 30) },
      );
      // float32 attention over ≤ 40 keys vs float64.
      expectTensorsClose(out, ref.output, { atol: 2e-5, rtol: 2e-4 });
      tf.dispose([q.tensor, k.tensor, v.tensor, z, out]);
    }
  });

  it('passes gradients to z equal to finite differences of the float64 reference, finite where m = 0', () => {
    const q = seededTensor([1, 2, 24, 4], 4);
    const k = seededTensor([1, 2, 24, 4], 5);
    const v = seededTensor([1, 2, 24, 3], 6);
    const w = seededTensor([1, 2, 24, 3], 7);
    // Non-integer spans keep every integer distance off the ramp's kinks (x = z and x = z + R).
    const spans = Float64Array.from([2.3, 9.6]);
    const loss64 = (zz: Float64Array) =>
      referenceAttention(
        {
          q: q.data,
          k: k.data,
          v: v.data,
          batch: 1,
          heads: 2,
          kvHeads: 2,
          qLen: 24,
          kvLen: 24,
          headDim: 4,
          valueDim: 3,
        },
        { causal: true, scoreMod: (s, _b, h, i, j) => rampScore64(s, Math.abs(i - j), zz[h]!, 4, 20) },
      ).output.reduce((a, o, i) => a + o * w.data[i]!, 0);
    const expected = finiteDifferenceGradient(loss64, spans, 1e-5);
    const z = tf.variable(tf.tensor1d(Array.from(spans)));
    const { value, grads } = tf.variableGrads(
      () =>
        tf.sum(
          tf.mul(
            scaledDotProductAttention(q.tensor, k.tensor, v.tensor, {
              causal: true,
              scoreMod: spanRampScoreMod(z, { rampSize: 4, maxSpan: 20 }),
            }),
            w.tensor,
          ),
        ) as tf.Scalar,
      [z],
    );
    const g = grads[z.name]!;
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    // float32 autodiff vs float64 central differences (truncation ~1e-10).
    expectTensorsClose(g, expected, { atol: 2e-4, rtol: 2e-3 });
    expect(Math.abs(expected[0]!)).toBeGreaterThan(1e-3); // the check is not vacuous
    tf.dispose([q.tensor, k.tensor, v.tensor, w.tensor, z, value, g]);
  });

  it('leaks no tensors', () => {
    const q = seededTensor([1, 2, 16, 4], 8).tensor;
    const z = tf.variable(tf.tensor1d([3, 6]));
    const mod = spanRampScoreMod(z, { rampSize: 2, maxSpan: 12 });
    expectNoLeaks(() => scaledDotProductAttention(q, q, q, { causal: true, scoreMod: mod }));
    expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(scaledDotProductAttention(q, q, q, { scoreMod: mod })) as tf.Scalar,
        [z],
      );
      return [value, ...Object.values(grads)];
    });
    tf.dispose([q, z]);
  });

  it('rejects ramp ≤ 0, max span ≤ 0 or fractional, bad spans, fractional offsets and unknown options', () => {
    const z = tf.tensor1d([4, 4]);
    expect(() => spanRampScoreMod(z, { rampSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => spanRampScoreMod(z, { rampSize: -2 })).toThrow(
      /`options.rampSize` must be a finite number > 0/,
    );
    expect(() => spanRampScoreMod(z, { maxSpan: 0 })).toThrow(/`options.maxSpan` must be an integer ≥ 1/);
    expect(() => spanRampScoreMod(z, { maxSpan: 10.5 })).toThrow(InvalidArgumentError);
    expect(() => spanRampScoreMod(z, { offset: 0.5 })).toThrow(/options.offset/);
    expect(() => spanRampScoreMod(z, { ramp: 4 } as never)).toThrow(/options.ramp/);
    const ints = tf.tensor1d([4], 'int32');
    expect(() => spanRampScoreMod(ints)).toThrow(/`spans` must be a float32 tensor/);
    const rank2 = tf.zeros([2, 2]);
    expect(() => spanRampScoreMod(rank2)).toThrow(/\[heads\]/);
    // Too few heads for the attention call: the tensor form says so.
    const mod = spanRampScoreMod(z);
    const q = tf.zeros([1, 3, 4, 2]);
    expect(() => scaledDotProductAttention(q, q, q, { scoreMod: mod })).toThrow(/one span per head/);
    tf.dispose([z, ints, rank2, q]);
  });
});

describe('trimmedSpan', () => {
  it('equals the number of distances with m_z(x) > 0, counted by brute force from the formula', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 300, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0.25, max: 40, noNaN: true }),
        fc.integer({ min: 1, max: 256 }),
        (spans, rampSize, maxSpan) => {
          const got = trimmedSpan(spans, { rampSize, maxSpan });
          spans.forEach((z, h) => {
            const zc = Math.min(maxSpan, Math.max(0, z));
            let count = 0;
            for (let x = 0; x < maxSpan + rampSize + 2; x++)
              if (rampMask64(x, zc, rampSize, maxSpan) > 0) count++;
            expect(got[h]).toBe(count);
          });
        },
      ),
      { numRuns: 100, seed: 3 },
    );
    expect(trimmedSpan([32, 0.5, 2000], { rampSize: 32, maxSpan: 1024 })).toEqual([64, 33, 1024]);
  });

  it('rejects non-finite spans and bad options', () => {
    expect(() => trimmedSpan([Number.NaN])).toThrow(/`spans\[0\]` must be a finite number/);
    expect(() => trimmedSpan([1], { rampSize: 0 })).toThrow(InvalidArgumentError);
  });
});
