import { ternaryMatMul } from '@efficient-attention/core';
import { describeBackends, expectNoLeaks, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { fakeQuantizeActivations, quantizeActivations } from './activation-quantization.js';
import { referenceActivationQuantize } from './reference-quantizers.test-support.js';
import { packTernary } from './ternary-packing.js';

const caseArbitrary = fc.record({
  lead: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
  d: fc.integer({ min: 1, max: 40 }),
  std: fc.constantFrom(1e-4, 1, 100),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describeBackends('activation quantizer', () => {
  it('hand-computed case: round half to even, zero rows stay zero', () => {
    const x = tf.tensor2d([
      [0.5, -1, 0.25],
      [0, 0, 0],
    ]);
    const { values, scales } = quantizeActivations(x);
    // Row 0: multiplier 127 → [63.5 → 64 (even), −127, 31.75 → 32]. Row 1: the 1e-5 floor keeps it finite.
    expect(values.dtype).toBe('int32');
    expect(values.arraySync()).toEqual([
      [64, -127, 32],
      [0, 0, 0],
    ]);
    expect(scales.shape).toEqual([2, 1]);
    const s = scales.dataSync();
    expect(s[0]).toBeCloseTo(1 / 127, 9);
    expect(s[1]).toBeCloseTo(1e-5 / 127, 12);
    const fq = fakeQuantizeActivations(x).arraySync() as number[][];
    expect(fq[0]![0]).toBeCloseTo(64 / 127, 6);
    expect(fq[0]![1]).toBeCloseTo(-1, 6);
    expect(fq[1]).toEqual([0, 0, 0]);
    tf.dispose([x, values, scales]);
  });

  it('matches the float64 formula per token on random shapes and scales', () => {
    // Codes: exact except ambiguous half-integers. Scales: float32 of 1/m, rtol 1e-6. The fake-quantised
    // values q/m: rtol 1e-6 of the row's absmax.
    fc.assert(
      fc.property(caseArbitrary, ({ lead, d, std, seed }) => {
        const x = seededTensor([...lead, d], seed, std);
        const ref = referenceActivationQuantize(x.data, d);
        const { values, scales } = quantizeActivations(x.tensor);
        expect(scales.shape).toEqual([...lead, 1]);
        const q = values.dataSync();
        const s = scales.dataSync();
        const fq = fakeQuantizeActivations(x.tensor).dataSync();
        for (let i = 0; i < q.length; i++) {
          const r = Math.floor(i / d);
          if (!ref.ambiguous[i]) {
            expect(q[i], `code ${i}`).toBe(ref.q[i]);
            expect(Math.abs(fq[i]! - ref.q[i]! / ref.multiplier[r]!)).toBeLessThanOrEqual(
              (1e-6 * 127) / ref.multiplier[r]!,
            );
          }
          expect(Math.abs(q[i]!)).toBeLessThanOrEqual(127);
        }
        for (let r = 0; r < s.length; r++) {
          expect(Math.abs(s[r]! - 1 / ref.multiplier[r]!)).toBeLessThanOrEqual(1e-6 / ref.multiplier[r]!);
        }
        tf.dispose([x.tensor, values, scales]);
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  it('composes with core’s ternaryMatMul without reshaping: out = Σ values·t · scale · β (float64)', () => {
    const [m, k, n] = [3, 21, 4];
    const x = seededTensor([m, k], 17);
    // W [K, N] ternary, packed by columns (row n of the packing = column n of W).
    const t = Array.from({ length: k * n }, (_, i) => ((i * 7 + 3) % 3) - 1);
    const columns = Array.from({ length: n * k }, (_, i) => t[(i % k) * n + Math.floor(i / k)]!);
    const packed = packTernary(columns, 'i2s', { rowLength: k });
    const weights = tf.tensor2d(packed.words, [n, packed.words.length / n], 'int32');
    const beta = tf.scalar(0.75);
    const { values, scales } = quantizeActivations(x.tensor);
    const out = ternaryMatMul(
      { activations: values, weights, weightScale: beta, activationScales: scales },
      { k, n, format: 'i2s' },
    );
    const v = values.dataSync();
    const sc = scales.dataSync();
    const expected = new Float64Array(m * n);
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let acc = 0;
        for (let j = 0; j < k; j++) acc += v[r * k + j]! * t[j * n + c]!;
        expected[r * n + c] = acc * sc[r]! * 0.75;
      }
    expect(out.shape).toEqual([m, n]);
    const got = out.dataSync();
    // Two float32 roundings (·scale, ·β) on an exact integer sum: relative error ≤ 2⁻²³.
    for (let i = 0; i < expected.length; i++) {
      expect(Math.abs(got[i]! - expected[i]!)).toBeLessThanOrEqual(2 ** -23 * Math.abs(expected[i]!));
    }
    tf.dispose([x.tensor, weights, beta, values, scales, out]);
  });

  it('passes gradients straight through (identity: the absmax scaling never clips)', () => {
    const x = seededTensor([3, 2, 17], 4, 3);
    const c = seededTensor([3, 2, 17], 5);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeActivations(t), c.tensor)))(x.tensor);
    expect(Array.from(g.dataSync())).toEqual(Array.from(c.tensor.dataSync()));
    expectNoLeaks(() => quantizeActivations(x.tensor) as unknown as tf.TensorContainer);
    expectNoLeaks(() => tf.grad((t: tf.Tensor) => tf.sum(fakeQuantizeActivations(t)))(x.tensor));
    tf.dispose([x.tensor, c.tensor, g]);
  });

  it('rejects non-float32 and non-tensor input', () => {
    const ints = tf.tensor1d([1, 2], 'int32');
    expect(() => quantizeActivations(ints)).toThrow(/quantizeActivations: `x.dtype` must be "float32"/);
    expect(() => fakeQuantizeActivations(null as unknown as tf.Tensor)).toThrow(
      /`x` must be a float32 tensor/,
    );
    ints.dispose();
  });
});
