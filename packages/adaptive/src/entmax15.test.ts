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
import { entmax15 } from './entmax15.js';
import { entmax64 } from './test-support/float64.js';

// float32 sort-based threshold (cumulative sums of values and squares over ≤ 48 entries of scale ≤ 3) vs
// the float64 bisection: the variance term loses ~1e-6 to cancellation.
const TOL = { atol: 1e-5, rtol: 1e-4 };

describeBackends('entmax15', () => {
  it('equals float64 1.5-entmax (bisection on τ) over random rows, sums to 1, exact zeros off the support', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 48 }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (rows, n, scale, seed) => {
          const values = seededNormalValues(rows * n, seed, scale);
          const x = tf.tensor2d(values, [rows, n]);
          const p = entmax15(x);
          const out = p.dataSync() as Float32Array;
          for (let r = 0; r < rows; r++) {
            const z = values.subarray(r * n, (r + 1) * n);
            const expected = entmax64(z, 1.5);
            expectTensorsClose(out.subarray(r * n, (r + 1) * n), expected, TOL);
            expect(Math.abs(out.subarray(r * n, (r + 1) * n).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(
              2e-5,
            );
            // On the support p = (z/2 − τ)², so τ = z_j/2 − √p_j for any supported j; entries with
            // z/2 clearly below τ are exactly zero in theory and must be exactly zero here.
            const j = expected.findIndex((e) => e > 1e-3);
            const tau = z[j]! / 2 - Math.sqrt(expected[j]!);
            z.forEach((zi, c) => {
              if (zi / 2 < tau - 1e-4) expect(out[r * n + c]).toBe(0);
              if (zi / 2 > tau + 1e-3) expect(out[r * n + c]).toBeGreaterThan(0);
            });
          }
          tf.dispose([x, p]);
        },
      ),
      { numRuns: 40, seed: 1905 },
    );
  });

  it('matches the two-entry closed form p₁ = ((d + √(2 − d²))/2)², d = (z₁ − z₂)/2 ≤ 1', () => {
    for (const [z1, z2] of [
      [0, 0],
      [1, 0],
      [2, 1],
      [0.3, -1.2],
      [1.9, 0],
    ] as const) {
      const d = (z1 - z2) / 2;
      const p1 = ((d + Math.sqrt(2 - d * d)) / 2) ** 2;
      const p = entmax15(tf.tensor1d([z1, z2]));
      expectTensorsClose(p, [p1, 1 - p1], { atol: 2e-6, rtol: 0 });
      p.dispose();
    }
    // d > 1: the second entry leaves the support exactly.
    const p = entmax15(tf.tensor1d([3, 0.5]));
    expect(Array.from(p.dataSync())).toEqual([1, 0]);
    p.dispose();
  });

  it('gives 0 to −∞ entries, a uniform row for all −∞, never NaN', () => {
    const ninf = Number.NEGATIVE_INFINITY;
    const x = tf.tensor2d(
      [
        [1, ninf, 1, -1e30],
        [ninf, ninf, ninf, ninf],
      ],
      [2, 4],
    );
    const p = entmax15(x);
    expectTensorsClose(p, [0.5, 0, 0.5, 0, 0.25, 0.25, 0.25, 0.25], { atol: 1e-6, rtol: 0 });
    expect([p.dataSync()[1], p.dataSync()[3]]).toEqual([0, 0]);
    tf.dispose([x, p]);
  });

  it('has the exact gradient diag(√p) − √p √pᵀ/Σ√p (finite differences of float64 entmax)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 0, max: 100_000 }), (n, seed) => {
        const z = seededNormalValues(n, seed, 1.5);
        const w = seededNormalValues(n, seed + 7);
        const loss = (v: ArrayLike<number>) => entmax64(v, 1.5).reduce((a, p, i) => a + p * w[i]!, 0);
        const expected = finiteDifferenceGradient(loss, Float64Array.from(z), 1e-6);
        const wt = tf.tensor1d(w);
        const x = tf.tensor1d(z);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(entmax15(t), wt)))(x);
        // float32 backward of a float32 forward (error ~1e-6 relative) vs float64 central differences.
        expectTensorsClose(g, expected, { atol: 3e-5, rtol: 1e-3 });
        tf.dispose([wt, x, g]);
      }),
      { numRuns: 25, seed: 2019 },
    );
  });

  it('leaks no tensors and rejects bad input', () => {
    const x = tf.tensor3d(seededNormalValues(2 * 3 * 5, 9), [2, 3, 5]);
    expectNoLeaks(() => entmax15(x));
    expectNoLeaks(() => tf.grad((t: tf.Tensor) => tf.sum(tf.square(entmax15(t))))(x));
    const ints = tf.tensor1d([1, 2], 'int32');
    expect(() => entmax15(ints)).toThrow(InvalidArgumentError);
    tf.dispose([x, ints]);
  });
});
