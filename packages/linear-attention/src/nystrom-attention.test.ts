import { IncompatibleOptionsError, scaledDotProductAttention } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  relativeError,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { nystromAttention } from './nystrom-attention.js';
import { type Mat, mul, pinv64, segmentMeans, softmaxRows, transpose } from './test-support/float64.js';

const scores = (a: Mat, b: Mat, s: number): Mat => mul(a, transpose(b)).map((r) => r.map((x) => x * s));
const rows = (data: Float64Array, offset: number, n: number, d: number): Mat =>
  Array.from({ length: n }, (_, i) => data.slice((offset + i) * d, (offset + i + 1) * d));

describeBackends('nystromAttention', () => {
  it('equals a float64 Nyström computation (segment means that need not divide N, 6-step pinv, conv skip)', () => {
    fc.assert(
      fc.property(
        fc.record({
          heads: fc.integer({ min: 1, max: 2 }),
          n: fc.integer({ min: 1, max: 24 }),
          m: fc.integer({ min: 1, max: 7 }),
          d: fc.integer({ min: 1, max: 6 }),
          kernel: fc.constantFrom(0, 1, 5),
          seed: fc.integer({ min: 0, max: 100_000 }),
        }),
        ({ heads, n, m, d, kernel, seed }) => {
          const q = seededTensor([1, heads, n, d], seed);
          const k = seededTensor([1, heads, n, d], seed + 1);
          const v = seededTensor([1, heads, n, d], seed + 2);
          const w = seededTensor([heads, Math.max(kernel, 1)], seed + 3);
          const out = nystromAttention(q.tensor, k.tensor, v.tensor, {
            numLandmarks: m,
            ...(kernel > 0 ? { convWeights: w.tensor } : {}),
          });
          const want: number[] = [];
          const mm = Math.min(m, n);
          const s = 1 / Math.sqrt(d);
          for (let h = 0; h < heads; h++) {
            const [qh, kh, vh] = [q, k, v].map((x) => rows(x.data, h * n, n, d)) as [Mat, Mat, Mat];
            const qL = segmentMeans(qh, mm);
            const kL = segmentMeans(kh, mm);
            const k1 = softmaxRows(scores(qh, kL, s));
            const k2 = softmaxRows(scores(qL, kL, s));
            const k3 = softmaxRows(scores(qL, kh, s));
            const o = mul(k1, mul(pinv64(k2, 6), mul(k3, vh)));
            for (let i = 0; i < n; i++) {
              for (let t = 0; t < d; t++) {
                let conv = 0;
                for (let tap = 0; kernel > 0 && tap < kernel; tap++) {
                  const j = i + tap - (kernel - 1) / 2;
                  if (j >= 0 && j < n) conv += w.data[h * kernel + tap]! * vh[j]![t]!;
                }
                want.push(o[i]![t]! + conv);
              }
            }
          }
          // The pinv iteration amplifies float32 rounding by the condition number of softmax(q̃k̃ᵀ) (small
          // here: ≤ 7 landmarks of unit-normal inputs): 1e-3 relative.
          expectTensorsClose(out, want, { atol: 2e-4, rtol: 1e-3 });
          tf.dispose([out, q.tensor, k.tensor, v.tensor, w.tensor]);
        },
      ),
      { numRuns: 20, seed: 6 },
    );
  });

  it('error vs dense attention shrinks with landmarks, and m = N with a converged pinv is exact', () => {
    const seeds = [0, 1];
    const meanError = (numLandmarks: number, pinvIterations = 6) =>
      seeds.reduce((acc, seed) => {
        const [q, k, v] = [1, 2, 3].map((i) => seededTensor([1, 2, 64, 16], 100 * seed + i).tensor) as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const approx = nystromAttention(q, k, v, { numLandmarks, pinvIterations });
        const exact = scaledDotProductAttention(q, k, v);
        const e = relativeError(approx.dataSync(), exact.dataSync());
        tf.dispose([q, k, v, approx, exact]);
        return acc + e / seeds.length;
      }, 0);
    // Unit-normal inputs, N = 64, d = 16 (measured means in the comment of each step below).
    const errors = [4, 16, 32, 64].map((m) => meanError(m));
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]!);
    // With one landmark per token, softmax(q̃k̃ᵀ) is the full attention matrix A, and A·A⁺·A = A.
    expect(meanError(64, 30)).toBeLessThan(1e-3);
  });

  it('at m = N is exact once the pseudo-inverse has converged (~20 iterations), not with the default 6', () => {
    // Unit-normal q, k, v [1, 2, N, 16], relative Frobenius error against dense softmax attention. Measured
    // (cpu / wasm): 6 iterations 1.2e-2, 4.3e-2, 9.0e-2 for N = 16, 64, 256 on both; 20 iterations
    // 2.6e-7 / 8.3e-7, 5.2e-6 / 1.8e-5, 8.4e-6 / 3.3e-5 (float32 level). N = 256 is left out here: its
    // 256 × 256 iterations take ~25 s per backend. The iteration starts slowly on the ill-conditioned N × N
    // softmax matrix (Z₀ = Aᵀ/(‖A‖₁‖A‖∞) is small) and falls third-order only once Z is close to A⁺.
    const error = (n: number, pinvIterations?: number) => {
      const [q, k, v] = [1, 2, 3].map((i) => seededTensor([1, 2, n, 16], i).tensor) as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];
      const approx = nystromAttention(q, k, v, { numLandmarks: n, pinvIterations });
      const exact = scaledDotProductAttention(q, k, v);
      const e = relativeError(approx.dataSync(), exact.dataSync());
      tf.dispose([q, k, v, approx, exact]);
      return e;
    };
    for (const n of [16, 64]) {
      const withDefault = error(n);
      expect(withDefault, `N = m = ${n}, 6 iterations`).toBeGreaterThan(1e-2);
      expect(withDefault, `N = m = ${n}, 6 iterations`).toBeLessThan(6e-2);
      expect(error(n, 20), `N = m = ${n}, 20 iterations`).toBeLessThan(5e-5);
    }
  });

  it('trains: gradients reach q, k, v and the conv weights', () => {
    const x = seededTensor([1, 2, 20, 4], 1).tensor;
    const w = tf.variable(tf.zeros([2, 5]));
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(nystromAttention(x, x, x, { numLandmarks: 4, convWeights: w }))) as tf.Scalar,
      [w],
    );
    const g = grads[w.name]!;
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    const gx = tf.grad((a: tf.Tensor) => tf.sum(nystromAttention(a, a, a, { numLandmarks: 4 })))(x);
    expect(Array.from(gx.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, w, value, g, gx]);
  });

  it('refuses causal with a reason, bad conv weights and bad options; leaks nothing', () => {
    const x = tf.zeros([1, 2, 16, 4]);
    expect(() => nystromAttention(x, x, x, { causal: true })).toThrow(IncompatibleOptionsError);
    expect(() => nystromAttention(x, x, x, { causal: true })).toThrow(/cannot be causal.*future tokens/);
    expect(() => tf.tidy(() => nystromAttention(x, x, x, { convWeights: tf.zeros([2, 4]) }))).toThrow(
      /`options.convWeights` must be a tensor \[2, odd kernel size\]/,
    );
    expect(() =>
      tf.tidy(() =>
        nystromAttention(x, tf.zeros([1, 2, 9, 4]), tf.zeros([1, 2, 9, 4]), {
          convWeights: tf.zeros([2, 3]),
        }),
      ),
    ).toThrow(/needs qLen = kvLen/);
    expect(() => nystromAttention(x, x, x, { numLandmarks: 0 })).toThrow(
      /`options.numLandmarks` must be an integer ≥ 1/,
    );
    expect(() => nystromAttention(x, x, x, { landmarks: 4 } as never)).toThrow(
      /`options.landmarks` must be one of the known options/,
    );
    const w = tf.ones([2, 33]);
    expectNoLeaks(() => nystromAttention(x, x, x, { numLandmarks: 5, convWeights: w }));
    tf.dispose([x, w]);
  });
});
