import { ternaryWordsPerRow } from '@efficient-attention/core';
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
import { bitLinearPacked, packBitLinearWeights } from './packed-bit-linear.js';
import { registerBitnetKernels } from './register-bitnet-kernels.js';
import { unpackTernary } from './ternary-packing.js';
import { quantizeWeights } from './weight-quantization.js';

describeBackends('packBitLinearWeights + bitLinearPacked', (backend) => {
  it('packs the quantised columns of W exactly, 2 or 1.6 bits per weight', () => {
    const w = seededTensor([37, 6], 1, 0.1);
    for (const weightBits of [1, 1.58] as const) {
      for (const format of ['i2s', 'tq1'] as const) {
        const packed = packBitLinearWeights(w.tensor, { weightBits, format });
        expect(packed.weights.shape).toEqual([6, ternaryWordsPerRow(37, format)]);
        expect(packed.weights.dtype).toBe('int32');
        const { values, scale } = quantizeWeights(w.tensor, { bits: weightBits });
        const columns = tf.transpose(values);
        const unpacked = unpackTernary({
          format,
          length: 37 * 6,
          rowLength: 37,
          words: packed.weights.dataSync() as Int32Array,
        });
        expect(Array.from(unpacked)).toEqual(Array.from(columns.dataSync()));
        expect(packed.scale.dataSync()[0]).toBe(scale.dataSync()[0]);
        tf.dispose([values, scale, columns]);
        packed.dispose();
      }
    }
    w.tensor.dispose();
  });

  it(`equals bitLinear up to float32 rounding (${backend}: ${backend === 'cpu' ? 'typed-array kernel' : 'reference'})`, () => {
    if (backend === 'cpu') registerBitnetKernels();
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          seq: fc.integer({ min: 1, max: 5 }),
          dIn: fc.integer({ min: 1, max: 70 }),
          dOut: fc.integer({ min: 1, max: 10 }),
          weightBits: fc.constantFrom<1 | 1.58>(1, 1.58),
          format: fc.constantFrom<'i2s' | 'tq1'>('i2s', 'tq1'),
          normalize: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        ({ batch, seq, dIn, dOut, weightBits, format, normalize, seed }) => {
          const x = seededTensor([batch, seq, dIn], seed);
          const w = seededTensor([dIn, dOut], seed + 1, 0.05);
          const gain = seededTensor([dIn], seed + 2);
          const options = { normalize, gain: gain.tensor };
          const packed = packBitLinearWeights(w.tensor, { weightBits, format });
          const fast = bitLinearPacked(x.tensor, packed, options);
          const slow = bitLinear(x.tensor, w.tensor, { ...options, weightBits });
          // Same codes on both paths; they differ only in float32 rounding order: (q/m)·(β·t) summed in
          // float32 vs an exact integer sum scaled once. Bound: rtol 1e-5 of Σ|terms| ≤ 1e-5·dIn·max|y|.
          const scale = Math.max(
            1e-6,
            tf.tidy(() => tf.max(tf.abs(slow)).dataSync()[0]!),
          );
          expectTensorsClose(fast, slow, { atol: 1e-5 * dIn * scale, rtol: 0 });
          tf.dispose([x.tensor, w.tensor, gain.tensor, fast, slow]);
          packed.dispose();
        },
      ),
      { numRuns: 30, seed: 31 },
    );
  });

  it('is leak-free and rejects disposed or mismatched packed weights', () => {
    const x = seededTensor([1, 3, 16], 1);
    const w = seededTensor([16, 4], 2, 0.1);
    const packed = packBitLinearWeights(w.tensor);
    expectNoLeaks(() => bitLinearPacked(x.tensor, packed));
    const wrong = tf.ones([1, 3, 15]);
    expect(() => bitLinearPacked(wrong, packed)).toThrow(/bitLinearPacked: `x.shape` must be \[..., 16\]/);
    expect(() => bitLinearPacked(x.tensor, packed, { weightBits: 1 } as object)).toThrow(
      /`options.weightBits` must be one of the known options/,
    );
    expect(() => bitLinearPacked(x.tensor, {} as typeof packed)).toThrow(
      /`packed` must be the result of packBitLinearWeights/,
    );
    packed.dispose();
    expect(() => bitLinearPacked(x.tensor, packed)).toThrow(
      /`packed` must be packed weights that are not disposed/,
    );
    const nan = tf.tensor2d([[Number.NaN, 1]]);
    expect(() => packBitLinearWeights(nan)).toThrow(/quantizeWeights: `weight` must be finite values/);
    expect(() => packBitLinearWeights(w.tensor, { format: 'q4' as 'i2s' })).toThrow(
      /`options.format` must be one of i2s, tq1/,
    );
    tf.dispose([x.tensor, w.tensor, wrong, nan]);
  });

  it(`trains x and the gain with bitLinear's straight-through gradients, weights frozen (${backend}: ${backend === 'cpu' ? 'kernel + registered gradient' : 'reference'})`, () => {
    if (backend === 'cpu') registerBitnetKernels();
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 1, max: 5 }),
          dIn: fc.integer({ min: 1, max: 70 }),
          dOut: fc.integer({ min: 1, max: 10 }),
          weightBits: fc.constantFrom<1 | 1.58>(1, 1.58),
          format: fc.constantFrom<'i2s' | 'tq1'>('i2s', 'tq1'),
          normalize: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        ({ seq, dIn, dOut, weightBits, format, normalize, seed }) => {
          const x = seededTensor([2, seq, dIn], seed);
          const w = seededTensor([dIn, dOut], seed + 1, 0.05);
          const gain = seededTensor([dIn], seed + 2);
          const dy = seededTensor([2, seq, dOut], seed + 3);
          const packed = packBitLinearWeights(w.tensor, { weightBits, format });
          // The gain is differentiated when RMSNorm uses it (with normalize: false it is ignored).
          const grads = (f: (xi: tf.Tensor, g: tf.Tensor) => tf.Tensor) =>
            normalize
              ? tf.grads((xi: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(dy.tensor, f(xi, g))))([
                  x.tensor,
                  gain.tensor,
                ])
              : [tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(dy.tensor, f(xi, gain.tensor))))(x.tensor)];
          const fast = grads((xi, g) => bitLinearPacked(xi, packed, { normalize, gain: g }));
          const slow = grads((xi, g) => bitLinear(xi, w.tensor, { normalize, gain: g, weightBits }));
          // Both are dy·(β·T)ᵀ through RMSNorm's backward, in different float32 summation orders (an exact
          // integer product scaled once vs float products): bound rtol 1e-5 of the largest |gradient|·dOut.
          fast.forEach((g, i) => {
            const scale = Math.max(
              1e-6,
              tf.tidy(() => tf.max(tf.abs(slow[i]!)).dataSync()[0]!),
            );
            expectTensorsClose(g, slow[i]!, { atol: 1e-5 * (dOut + dIn) * scale, rtol: 0 });
          });
          expect(fast[0]!.size).toBeGreaterThan(0);
          tf.dispose([x.tensor, w.tensor, gain.tensor, dy.tensor, ...fast, ...slow]);
          packed.dispose();
        },
      ),
      { numRuns: 25, seed: 32 },
    );
    // No leak across a gradient step.
    const x = seededTensor([1, 3, 16], 5);
    const packed = packBitLinearWeights(seededTensor([16, 4], 6, 0.1).tensor);
    expectNoLeaks(() => tf.grad((xi: tf.Tensor) => tf.sum(bitLinearPacked(xi, packed)))(x.tensor));
    tf.dispose(x.tensor);
    packed.dispose();
  });
});
