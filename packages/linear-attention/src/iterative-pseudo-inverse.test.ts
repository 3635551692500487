import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { iterativePseudoInverse } from './iterative-pseudo-inverse.js';

/** Gauss–Jordan inverse in float64 (partial pivoting): the reference for invertible matrices. */
function inverse64(a: ArrayLike<number>, m: number): Float64Array {
  const w = Array.from({ length: m }, (_, i) =>
    Float64Array.from({ length: 2 * m }, (_, j) => (j < m ? a[i * m + j]! : j - m === i ? 1 : 0)),
  );
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(w[r]![c]!) > Math.abs(w[p]![c]!)) p = r;
    [w[c], w[p]] = [w[p]!, w[c]!];
    const pivot = w[c]![c]!;
    for (let j = 0; j < 2 * m; j++) w[c]![j]! /= pivot;
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = w[r]![c]!;
      for (let j = 0; j < 2 * m; j++) w[r]![j]! -= f * w[c]![j]!;
    }
  }
  return Float64Array.from(w.flatMap((row) => Array.from(row.subarray(m))));
}

describeBackends('iterativePseudoInverse', () => {
  it('converges to the inverse of well-conditioned softmax matrices (float64 Gauss–Jordan reference)', () => {
    // softmax(3·I + noise): diagonally dominant, condition number ≈ 3, so 12 third-order steps converge to
    // float32 precision.
    const m = 7;
    const logits = tf.tidy(() => tf.add(tf.mul(tf.eye(m), 3), seededTensor([2, m, m], 4, 0.3).tensor));
    const a = tf.softmax(logits);
    const z = iterativePseudoInverse(a, 12);
    const values = a.dataSync();
    const want = [0, 1].flatMap((b) => Array.from(inverse64(values.subarray(b * m * m, (b + 1) * m * m), m)));
    expectTensorsClose(z, want, { atol: 1e-4, rtol: 1e-3 });
    tf.dispose([logits, a, z]);
  });

  it('satisfies A·Z·A = A for a rank-deficient matrix, and the residual falls with iterations', () => {
    // Two equal rows: singular, so only the pseudo-inverse exists.
    const a = tf.tensor2d([
      [0.5, 0.3, 0.2],
      [0.5, 0.3, 0.2],
      [0.1, 0.2, 0.7],
    ]);
    const residual = (iterations: number) =>
      tf.tidy(() => {
        const z = iterativePseudoInverse(a, iterations);
        return tf.norm(tf.sub(tf.matMul(tf.matMul(a, z), a), a)).dataSync()[0]!;
      });
    // Measured: 0.40, 0.21, 0.026, 4.9e-5, 1.3e-7 for 0–4 steps (third order once close), then float32
    // rounding (~7e-8).
    const r = [0, 1, 2, 3, 4].map(residual);
    for (let i = 1; i < r.length; i++) expect(r[i]).toBeLessThan(0.6 * r[i - 1]!);
    expect(residual(30)).toBeLessThan(1e-6);
    expectNoLeaks(() => iterativePseudoInverse(a, 3));
    expect(() => tf.tidy(() => iterativePseudoInverse(tf.zeros([2, 3])))).toThrow(
      /`a` must be a tensor of square matrices/,
    );
    expect(() => iterativePseudoInverse(a, -1)).toThrow(/`iterations` must be an integer ≥ 0/);
    a.dispose();
  });
});
