import { describeBackends, expectNoLeaks, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { referenceWeightQuantize } from './reference-quantizers.test-support.js';
import { fakeQuantizeWeights, quantizeWeights } from './weight-quantization.js';

const caseArbitrary = fc.record({
  rows: fc.integer({ min: 1, max: 24 }),
  cols: fc.integer({ min: 1, max: 24 }),
  std: fc.constantFrom(1e-3, 0.02, 1, 30),
  bits: fc.constantFrom<1 | 1.58>(1, 1.58),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describeBackends('weight quantizers', () => {
  it('ternary: hand-computed case (BitNet b1.58 eq. 1–3)', () => {
    const w = tf.tensor2d([
      [0.4, -0.1],
      [-0.9, 0.3],
    ]);
    const { values, scale } = quantizeWeights(w);
    // mean|W| = 1.7 / 4 = 0.425; W / 0.425 ≈ [0.94, −0.24, −2.12, 0.71] → round-clip → [1, 0, −1, 1].
    expect(values.dtype).toBe('int32');
    expect(values.arraySync()).toEqual([
      [1, 0],
      [-1, 1],
    ]);
    expect(scale.dataSync()[0]).toBeCloseTo(0.425, 6);
    tf.dispose([w, values, scale]);
  });

  it('binary: hand-computed case, with Sign(0) = −1 (BitNet eq. 1–3)', () => {
    // α = mean W = −0.125, W − α = [0.625, −0.125, −0.875, 0.375], β = mean|W| = 0.5 (all exact in float32).
    const w = tf.tensor2d([
      [0.5, -0.25],
      [-1, 0.25],
    ]);
    const { values, scale } = quantizeWeights(w, { bits: 1 });
    expect(values.arraySync()).toEqual([
      [1, -1],
      [-1, 1],
    ]);
    expect(scale.dataSync()[0]).toBe(0.5);
    // Constant weights: W − α = 0 everywhere → all −1, β = 1.
    const flat = tf.fill([3], 1);
    const q = quantizeWeights(flat, { bits: 1 });
    expect(Array.from(q.values.dataSync())).toEqual([-1, -1, -1]);
    expect(q.scale.dataSync()[0]).toBe(1);
    tf.dispose([w, values, scale, flat, q.values, q.scale]);
  });

  it('matches the float64 formulas on random weights of any scale', () => {
    // Exact equality of the integer values except at ambiguous elements (within 1e-4 of a threshold);
    // scale: float32 mean of ≤ 576 elements, rtol 1e-5.
    fc.assert(
      fc.property(caseArbitrary, ({ rows, cols, std, bits, seed }) => {
        const w = seededTensor([rows, cols], seed, std);
        const ref = referenceWeightQuantize(w.data, bits);
        const { values, scale } = quantizeWeights(w.tensor, { bits });
        const got = values.dataSync();
        for (let i = 0; i < got.length; i++) {
          if (!ref.ambiguous[i]) expect(got[i], `element ${i}`).toBe(ref.values[i]);
        }
        expect(Math.abs(scale.dataSync()[0]! - ref.scale)).toBeLessThanOrEqual(1e-5 * ref.scale);
        tf.dispose([w.tensor, values, scale]);
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('gives zeros, not NaN, for all-zero weights', () => {
    const zeros = tf.zeros([4, 3]);
    for (const bits of [1, 1.58] as const) {
      const { values, scale } = quantizeWeights(zeros, { bits });
      const deq = fakeQuantizeWeights(zeros, { bits });
      expect(Array.from(deq.dataSync(), (x) => x === 0)).toEqual(Array(12).fill(true)); // ±0
      expect(Number.isFinite(scale.dataSync()[0])).toBe(true);
      tf.dispose([values, scale, deq]);
    }
    zeros.dispose();
  });

  it('fakeQuantizeWeights returns scale·values with identity or clipped straight-through gradients', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ rows, cols, std, bits, seed }) => {
        const w = seededTensor([rows, cols], seed, std);
        const c = seededTensor([rows, cols], seed + 1);
        const ref = referenceWeightQuantize(w.data, bits);
        const deq = fakeQuantizeWeights(w.tensor, { bits }).dataSync();
        for (let i = 0; i < deq.length; i++) {
          if (ref.ambiguous[i]) continue;
          // scale·value in float32: relative error of the float32 scale, ≤ 1e-5.
          expect(Math.abs(deq[i]! - ref.values[i]! * ref.scale)).toBeLessThanOrEqual(1e-5 * ref.scale);
        }
        for (const ste of ['identity', 'clipped'] as const) {
          const g = tf.grad((x: tf.Tensor) =>
            tf.sum(tf.mul(fakeQuantizeWeights(x, { bits, ste }), c.tensor)),
          )(w.tensor);
          const got = g.dataSync();
          for (let i = 0; i < got.length; i++) {
            if (ref.ambiguous[i]) continue;
            // Exactly the upstream gradient, masked by the clip band for the clipped estimator.
            const expected = ste === 'identity' || ref.inBand[i] ? c.data[i]! : 0;
            expect(got[i]! + 0, `${ste} gradient ${i}`).toBe(expected); // + 0: −0 (a masked negative) equals 0
          }
          g.dispose();
        }
        tf.dispose([w.tensor, c.tensor]);
      }),
      { numRuns: 25, seed: 8 },
    );
  });

  it('is leak-free', () => {
    const w = seededTensor([8, 5], 1);
    expectNoLeaks(() => quantizeWeights(w.tensor, { bits: 1 }) as unknown as tf.TensorContainer);
    expectNoLeaks(() => fakeQuantizeWeights(w.tensor, { ste: 'clipped' }));
    expectNoLeaks(() =>
      tf.grad((x: tf.Tensor) => tf.sum(fakeQuantizeWeights(x, { ste: 'clipped' })))(w.tensor),
    );
    w.tensor.dispose();
  });

  it('rejects bad input with errors naming the parameter', () => {
    const nan = tf.tensor1d([0.1, Number.NaN]);
    const inf = tf.tensor1d([0.1, Number.POSITIVE_INFINITY]);
    const ints = tf.tensor1d([1, 2], 'int32');
    const ok = tf.ones([2]);
    expect(() => quantizeWeights(nan)).toThrow(/quantizeWeights: `weight` must be finite values/);
    expect(() => quantizeWeights(inf)).toThrow(/finite values/);
    expect(() => quantizeWeights(ints)).toThrow(/`weight.dtype` must be "float32", received "int32"/);
    expect(() => quantizeWeights(ok, { bits: 2 as 1 })).toThrow(
      /`options.bits` must be 1 or 1.58, received 2/,
    );
    expect(() => quantizeWeights(ok, { bit: 1 } as object)).toThrow(
      /`options.bit` must be one of the known options/,
    );
    expect(() => fakeQuantizeWeights(ok, { ste: 'tanh' as 'identity' })).toThrow(
      /`options.ste` must be "identity" or "clipped"/,
    );
    expect(() => quantizeWeights([1, 2] as unknown as tf.Tensor)).toThrow(
      /`weight` must be a float32 tensor/,
    );
    tf.dispose([nan, inf, ints, ok]);
  });
});
