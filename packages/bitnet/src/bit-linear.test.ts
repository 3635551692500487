import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { bitLinear } from './bit-linear.js';
import {
  referenceActivationQuantize,
  referenceRmsNorm,
  referenceWeightQuantize,
} from './reference-quantizers.test-support.js';

/**
 * BitLinear in float64 from the papers' formulas: y = Q₈(RMSNorm(x)) · Q_w(W), with per-output tolerances:
 * each ambiguous activation code (float32 may round it the other way) can move an output by one step
 * β/m, plus float32 accumulation (rtol 1e-5 of Σ|terms|).
 */
function referenceBitLinear(
  x: Float64Array,
  w: Float64Array,
  dIn: number,
  dOut: number,
  o: { bits: 1 | 1.58; normalize: boolean; gain?: Float64Array },
) {
  const xn = o.normalize ? referenceRmsNorm(x, dIn, o.gain, 1e-6) : x;
  const a = referenceActivationQuantize(xn, dIn);
  const wq = referenceWeightQuantize(w, o.bits);
  const rows = x.length / dIn;
  const y = new Float64Array(rows * dOut);
  const tol = new Float64Array(rows * dOut);
  const xq = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ambiguous = 0;
    for (let j = 0; j < dIn; j++) {
      xq[r * dIn + j] = a.q[r * dIn + j]! / a.multiplier[r]!;
      ambiguous += a.ambiguous[r * dIn + j]!;
    }
    for (let c = 0; c < dOut; c++) {
      let s = 0;
      let abs = 0;
      for (let j = 0; j < dIn; j++) {
        const term = xq[r * dIn + j]! * wq.values[j * dOut + c]! * wq.scale;
        s += term;
        abs += Math.abs(term);
      }
      y[r * dOut + c] = s;
      tol[r * dOut + c] = (ambiguous * wq.scale) / a.multiplier[r]! + 1e-5 * abs + 1e-7;
    }
  }
  return { y, tol, xq, wq };
}

const caseArbitrary = fc.record({
  lead: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
  dIn: fc.integer({ min: 1, max: 40 }),
  dOut: fc.integer({ min: 1, max: 12 }),
  bits: fc.constantFrom<1 | 1.58>(1, 1.58),
  normalize: fc.boolean(),
  withGain: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describeBackends('bitLinear', () => {
  it('equals the float64 BitLinear of the papers on [..., dIn] inputs (random shapes, 1 and 1.58 bits)', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ lead, dIn, dOut, bits, normalize, withGain, seed }) => {
        const x = seededTensor([...lead, dIn], seed, 2);
        const w = seededTensor([dIn, dOut], seed + 1, 0.05);
        const g = seededTensor([dIn], seed + 2);
        // An ambiguous weight (float32 may round it the other way) would change a whole column: skip such draws.
        fc.pre(referenceWeightQuantize(w.data, bits).ambiguous.every((a) => a === 0));
        const gain = normalize && withGain ? g : undefined;
        const ref = referenceBitLinear(x.data, w.data, dIn, dOut, {
          bits,
          normalize,
          ...(gain ? { gain: gain.data } : {}),
        });
        const y = bitLinear(x.tensor, w.tensor, {
          weightBits: bits,
          normalize,
          ...(gain ? { gain: gain.tensor } : {}),
        });
        expect(y.shape).toEqual([...lead, dOut]);
        const got = y.dataSync();
        for (let i = 0; i < got.length; i++) {
          expect(Math.abs(got[i]! - ref.y[i]!), `output ${i}`).toBeLessThanOrEqual(ref.tol[i]!);
        }
        tf.dispose([x.tensor, w.tensor, g.tensor, y]);
      }),
      { numRuns: 40, seed: 2024 },
    );
  });

  it('trains through straight-through estimators: ∂/∂W = x̃ᵀ·c and ∂/∂x = c·W̃ᵀ', () => {
    const [rows, dIn, dOut] = [6, 24, 5];
    const x = seededTensor([rows, dIn], 1, 2);
    const w = seededTensor([dIn, dOut], 2, 0.05);
    const c = seededTensor([rows, dOut], 3);
    const ref = referenceBitLinear(x.data, w.data, dIn, dOut, { bits: 1.58, normalize: false });
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(bitLinear(a, b, { normalize: false }), c.tensor)),
    )([x.tensor, w.tensor]);
    const expectedDw = new Float64Array(dIn * dOut);
    const expectedDx = new Float64Array(rows * dIn);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < dIn; j++)
        for (let o = 0; o < dOut; o++) {
          expectedDw[j * dOut + o]! += ref.xq[r * dIn + j]! * c.data[r * dOut + o]!;
          expectedDx[r * dIn + j]! += c.data[r * dOut + o]! * ref.wq.values[j * dOut + o]! * ref.wq.scale;
        }
    // The seeded draw has no ambiguous activation code, so x̃ is exact; float32 sums of ≤ 24 products of
    // O(1) values: atol 1e-4.
    expect(referenceActivationQuantize(x.data, dIn).ambiguous.every((a) => a === 0)).toBe(true);
    expectTensorsClose(dw!, expectedDw, { atol: 1e-4, rtol: 1e-4 });
    expectTensorsClose(dx!, expectedDx, { atol: 1e-4, rtol: 1e-4 });
    // With RMSNorm, the gain receives a finite, non-zero gradient too.
    const g = tf.ones([dIn]);
    const dg = tf.grad((gain: tf.Tensor) =>
      tf.sum(tf.mul(bitLinear(x.tensor, w.tensor, { gain }), c.tensor)),
    )(g);
    const dgv = dg.dataSync();
    expect(dgv.every(Number.isFinite) && dgv.some((v) => v !== 0)).toBe(true);
    tf.dispose([x.tensor, w.tensor, c.tensor, dx!, dw!, g, dg]);
  });

  it('gives finite outputs and gradients for zero inputs and zero weights', () => {
    const x = tf.zeros([2, 3, 8]);
    const w = tf.zeros([8, 4]);
    const y = bitLinear(x, w);
    expect(Array.from(y.dataSync()).every((v) => v === 0)).toBe(true);
    const dw = tf.grad((b: tf.Tensor) => tf.sum(bitLinear(x, b)))(w);
    expect(dw.dataSync().every(Number.isFinite)).toBe(true);
    tf.dispose([x, w, y, dw]);
  });

  it('is leak-free, forward and backward', () => {
    const x = seededTensor([2, 5, 16], 4);
    const w = seededTensor([16, 8], 5, 0.1);
    const g = tf.ones([16]);
    expectNoLeaks(() => bitLinear(x.tensor, w.tensor, { gain: g, weightBits: 1 }));
    expectNoLeaks(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(bitLinear(a, b, { gain: g })))([x.tensor, w.tensor]),
    );
    tf.dispose([x.tensor, w.tensor, g]);
  });

  it('rejects mismatched shapes and bad options with errors naming the parameter', () => {
    const x = tf.ones([2, 3, 8]);
    const w = tf.ones([8, 4]);
    const w3 = tf.ones([8, 4, 1]);
    const g = tf.ones([7]);
    const wrongDim = tf.ones([2, 7]);
    const vector = tf.ones([8]);
    expect(() => bitLinear(wrongDim, w)).toThrow(
      /bitLinear: `x.shape` must be \[..., 8\] \(the weights' input dimension\), received \[2, 7\]/,
    );
    expect(() => bitLinear(vector, w)).toThrow(/`x` must be a float32 tensor of rank ≥ 2/);
    expect(() => bitLinear(x, w3)).toThrow(/`weight` must be a float32 tensor of rank 2/);
    expect(() => bitLinear(x, w, { gain: g })).toThrow(/`options.gain.shape` must be \[8\]/);
    expect(() => bitLinear(x, w, { weightBits: 2 as 1 })).toThrow(
      /`options.weightBits` must be 1 or 1.58, received 2/,
    );
    expect(() => bitLinear(x, w, { normalise: true } as object)).toThrow(
      /`options.normalise` must be one of the known options/,
    );
    expect(() => bitLinear(x, w, { epsilon: -1 })).toThrow(/`options.epsilon` must be a finite number > 0/);
    tf.dispose([x, w, w3, g, wrongDim, vector]);
  });
});
