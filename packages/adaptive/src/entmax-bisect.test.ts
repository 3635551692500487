import { InvalidArgumentError } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  seededNormalValues,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { entmaxBisect } from './entmax-bisect.js';
import { entmax15 } from './entmax15.js';
import { sparsemax } from './sparsemax.js';
import { entmax64, softmax64, sparsemax64 } from './test-support/float64.js';

// float32 bisection (25 halvings) + renormalisation vs float64 bisection (200 halvings), scores of scale
// 2.5: τ is resolved to float32 precision (~1e-7), and p moves by δτ·p^(2−α)/(α−1). For α ≤ 2.5 that is
// ≤ ~2e-6 on entries ≥ 1e-3; above α = 2 tiny entries sit on a square-root-like edge (p ∝ (x − τ)^(1/(α−1)))
// and lose relative precision, which is why the random α range stops at 2.5.
const TOL = { atol: 1e-5, rtol: 1e-4 };

describeBackends('entmaxBisect', () => {
  it('equals float64 α-entmax for random α ∈ [1.05, 2.5] and rows, sums to 1, exact zeros', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 1.05, max: 2.5, noNaN: true }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (rows, n, alpha, seed) => {
          const values = seededNormalValues(rows * n, seed, 2.5);
          const x = tf.tensor2d(values, [rows, n]);
          const p = entmaxBisect(x, { alpha });
          const out = p.dataSync() as Float32Array;
          for (let r = 0; r < rows; r++) {
            const z = values.subarray(r * n, (r + 1) * n);
            const expected = entmax64(z, alpha);
            const got = out.subarray(r * n, (r + 1) * n);
            expectTensorsClose(got, expected, TOL);
            expect(Math.abs(got.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
            // (α−1)z_c − τ ≤ 0 ⇒ p_c = 0; τ from a supported entry: τ = (α−1)z_j − p_j^(α−1).
            const j = expected.findIndex((e) => e > 1e-3);
            const tau = (alpha - 1) * z[j]! - expected[j]! ** (alpha - 1);
            z.forEach((zc, c) => {
              if ((alpha - 1) * zc < tau - 1e-4) expect(got[c]).toBe(0);
            });
          }
          tf.dispose([x, p]);
        },
      ),
      { numRuns: 30, seed: 1909 },
    );
  });

  it('recovers softmax as α → 1 (α = 1.001), sparsemax at α = 2 and entmax15 at α = 1.5', () => {
    const n = 12;
    const values = seededNormalValues(3 * n, 42, 1.5);
    const x = tf.tensor2d(values, [3, n]);
    const nearSoftmax = entmaxBisect(x, { alpha: 1.001 }).dataSync();
    for (let r = 0; r < 3; r++) {
      // The 1.001-entmax differs from softmax by O(α − 1)·z² ≈ 1e-3 relative; float32 pow(·, 1000) adds ~1e-4.
      expectTensorsClose(
        nearSoftmax.subarray(r * n, (r + 1) * n),
        softmax64(values.subarray(r * n, (r + 1) * n)),
        {
          atol: 3e-3,
          rtol: 0,
        },
      );
    }
    const two = entmaxBisect(x, { alpha: 2 });
    const sm = sparsemax(x);
    expectTensorsClose(two, sm, { atol: 2e-6, rtol: 0 });
    for (let r = 0; r < 3; r++) {
      expectTensorsClose(
        two.dataSync().subarray(r * n, (r + 1) * n),
        sparsemax64(values.subarray(r * n, (r + 1) * n)),
        {
          atol: 2e-6,
          rtol: 0,
        },
      );
    }
    // Same zeros as sparsemax.
    expect(Array.from(two.dataSync(), (v) => v === 0)).toEqual(Array.from(sm.dataSync(), (v) => v === 0));
    const onePointFive = entmaxBisect(x, { alpha: 1.5 });
    const e15 = entmax15(x);
    expectTensorsClose(onePointFive, e15, { atol: 1e-5, rtol: 0 });
    tf.dispose([x, two, sm, onePointFive, e15]);
  });

  it('has exact gradients for the logits and for a per-row α (finite differences in float64)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.double({ min: 1.1, max: 2.8, noNaN: true }),
        fc.double({ min: 1.1, max: 2.8, noNaN: true }),
        fc.integer({ min: 0, max: 100_000 }),
        (n, a0, a1, seed) => {
          const z = seededNormalValues(2 * n, seed, 1.2);
          const w = seededNormalValues(2 * n, seed + 3);
          const alphas = [a0, a1];
          const lossOf = (logits: ArrayLike<number>, al: ArrayLike<number>) => {
            let total = 0;
            for (let r = 0; r < 2; r++) {
              const p = entmax64(Array.from(logits).slice(r * n, (r + 1) * n), al[r]!);
              p.forEach((v, i) => {
                total += v * w[r * n + i]!;
              });
            }
            return total;
          };
          const expectedZ = finiteDifferenceGradient((v) => lossOf(v, alphas), Float64Array.from(z), 1e-6);
          const expectedAlpha = finiteDifferenceGradient(
            (a) => lossOf(z, a),
            Float64Array.from(alphas),
            1e-6,
          );
          const x = tf.tensor2d(z, [2, n]);
          const alpha = tf.tensor2d(alphas, [2, 1]);
          const wt = tf.tensor2d(w, [2, n]);
          const [gz, ga] = tf.grads((xx: tf.Tensor, aa: tf.Tensor) =>
            tf.sum(tf.mul(entmaxBisect(xx, { alpha: aa }), wt)),
          )([x, alpha]);
          // float32 forward/backward vs float64 central differences; the α formula divides by (α−1)².
          expectTensorsClose(gz!, expectedZ, { atol: 5e-5, rtol: 2e-3 });
          expectTensorsClose(ga!, expectedAlpha, { atol: 1e-4, rtol: 5e-3 });
          tf.dispose([x, alpha, wt, gz!, ga!]);
        },
      ),
      { numRuns: 12, seed: 10 },
    );
  });

  it('sums the α gradient over the axes α broadcasts (one α per head of [b, h, q, k] scores)', () => {
    const z = seededNormalValues(2 * 3 * 4 * 5, 77);
    const x = tf.tensor4d(z, [2, 3, 4, 5]);
    const alpha = tf.variable(tf.tensor4d([1.2, 1.5, 2.5], [1, 3, 1, 1]));
    const { grads, value } = tf.variableGrads(
      () => tf.sum(tf.mul(entmaxBisect(x, { alpha }), tf.range(0, 5, 1, 'float32'))) as tf.Scalar,
    );
    const g = grads[alpha.name]!;
    expect(g.shape).toEqual([1, 3, 1, 1]);
    // Reference: per-row α gradients computed row by row, then summed per head.
    const perRow = tf.grads((xx: tf.Tensor, aa: tf.Tensor) =>
      tf.sum(tf.mul(entmaxBisect(xx, { alpha: aa }), tf.range(0, 5, 1, 'float32'))),
    )([x, tf.tile(alpha, [2, 1, 4, 1])]);
    expectTensorsClose(g, tf.sum(perRow[1]!, [0, 2], true), { atol: 1e-5, rtol: 1e-5 });
    tf.dispose([x, alpha, value, g, ...perRow]);
  });

  it('gives a uniform row for a row of only −∞ (α = 1.25, 1.5, 1.75, 2), 0 to −∞ entries, never NaN', () => {
    const ninf = Number.NEGATIVE_INFINITY;
    const x = tf.tensor2d(
      [
        [ninf, ninf, ninf, ninf],
        [1, ninf, 1, -1e30],
      ],
      [2, 4],
    );
    for (const alpha of [1.25, 1.5, 1.75, 2]) {
      const p = entmaxBisect(x, { alpha });
      // Equal entries split the mass equally whatever α (the closed form of every α-entmax).
      expectTensorsClose(p, [0.25, 0.25, 0.25, 0.25, 0.5, 0, 0.5, 0], { atol: 1e-6, rtol: 0 });
      expect([p.dataSync()[5], p.dataSync()[7]]).toEqual([0, 0]);
      p.dispose();
    }
    // The same through a per-row tensor α.
    const alpha = tf.tensor2d([1.25, 2], [2, 1]);
    const p = entmaxBisect(x, { alpha });
    expectTensorsClose(p, [0.25, 0.25, 0.25, 0.25, 0.5, 0, 0.5, 0], { atol: 1e-6, rtol: 0 });
    tf.dispose([x, alpha, p]);
  });

  it('rejects α ≤ 1 (and below 1.001), bad α shapes, unknown options, bad iterations', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(() => entmaxBisect(x, { alpha: 1 })).toThrow(InvalidArgumentError);
    expect(() => entmaxBisect(x, { alpha: 0.5 })).toThrow(/`options.alpha` must be a finite number ≥ 1.001/);
    expect(() => entmaxBisect(x, { alpha: 1.0005 })).toThrow(InvalidArgumentError);
    expect(() => entmaxBisect(x, { alpha: Number.NaN })).toThrow(InvalidArgumentError);
    const oneTensor = tf.tensor2d([1.5, 1], [2, 1]);
    expect(() => entmaxBisect(x, { alpha: oneTensor })).toThrow(/values ≥ 1.001/);
    const wrongShape = tf.tensor1d([1.5, 1.5]);
    expect(() => entmaxBisect(x, { alpha: wrongShape })).toThrow(/last dimension 1/);
    expect(() => entmaxBisect(x, { iterations: 0 })).toThrow(/`options.iterations` must be an integer ≥ 1/);
    expect(() => entmaxBisect(x, { alpa: 1.5 } as never)).toThrow(
      /`options.alpa` must be one of the known options/,
    );
    tf.dispose([x, oneTensor, wrongShape]);
  });

  it('leaks no tensors, forward or backward (number and tensor α)', () => {
    const x = tf.tensor2d(seededNormalValues(12, 3), [3, 4]);
    const alpha = tf.tensor2d([1.3, 1.7, 2], [3, 1]);
    expectNoLeaks(() => entmaxBisect(x, { alpha: 1.4 }));
    expectNoLeaks(() => entmaxBisect(x, { alpha }));
    expectNoLeaks(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(entmaxBisect(a, { alpha: b }))))([x, alpha]),
    );
    expectNoLeaks(() => tf.grad((a: tf.Tensor) => tf.sum(tf.square(entmaxBisect(a, { alpha: 1.6 }))))(x));
    tf.dispose([x, alpha]);
  });
});
