import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from './backends.js';
import { finiteDifferenceGradient } from './finite-difference.js';
import { referenceAttention } from './reference-attention.js';
import {
  expectNoLeaks,
  expectTensorsClose,
  relativeError,
  seededNormalValues,
  seededTensor,
} from './tensors.js';

describe('test-utils', () => {
  it('seeded values are deterministic and roughly standard normal', async () => {
    await useBackend('cpu');
    const a = seededNormalValues(20000, 7);
    expect(seededNormalValues(20000, 7)).toEqual(a);
    expect(seededNormalValues(10, 8)).not.toEqual(a.slice(0, 10));
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const variance = a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const t = seededTensor([2, 3], 1);
    expect(Array.from(t.tensor.dataSync())).toEqual(Array.from(t.data));
    t.tensor.dispose();
  });

  it('expectTensorsClose fails beyond tolerance and passes within', () => {
    expectTensorsClose([1, 2, 3], [1, 2, 3.0001], { atol: 0, rtol: 1e-4 });
    expect(() => expectTensorsClose([1, 2, 3], [1, 2, 3.1], { atol: 0, rtol: 1e-4 })).toThrow(/element 2/);
    expect(() => expectTensorsClose([Number.NaN], [0])).toThrow(/element 0/);
  });

  it('expectNoLeaks catches a leaked tensor', () => {
    expectNoLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1)));
    let leaked: tf.Tensor | undefined;
    expect(() =>
      expectNoLeaks(() => {
        leaked = tf.ones([1]);
        return tf.ones([1]);
      }),
    ).toThrow(/leaked/);
    leaked?.dispose();
  });

  it('the float64 reference matches a hand-computed 1×1×2×1 case', () => {
    // q = [1, 0]ᵀ, k = [1, 2]ᵀ, v = [10, 20]ᵀ, scale 1: row 0 softmax([1, 2]) · v; row 1 sees zeros → uniform.
    const { output, weights } = referenceAttention(
      {
        q: [1, 0],
        k: [1, 2],
        v: [10, 20],
        batch: 1,
        heads: 1,
        kvHeads: 1,
        qLen: 2,
        kvLen: 2,
        headDim: 1,
        valueDim: 1,
      },
      { scale: 1 },
    );
    const w0 = Math.exp(1) / (Math.exp(1) + Math.exp(2));
    expect(weights[0]).toBeCloseTo(w0, 12);
    expect(output[0]).toBeCloseTo(10 * w0 + 20 * (1 - w0), 12);
    expect(output[1]).toBeCloseTo(15, 12);
    const masked = referenceAttention(
      {
        q: [1, 0],
        k: [1, 2],
        v: [10, 20],
        batch: 1,
        heads: 1,
        kvHeads: 1,
        qLen: 2,
        kvLen: 2,
        headDim: 1,
        valueDim: 1,
      },
      { allowed: (_b, _h, q) => q === 0 },
    );
    expect(masked.output[1]).toBe(0);
  });

  it('finite differences recover a known gradient and relativeError is scale-free', () => {
    const g = finiteDifferenceGradient((x) => x[0]! ** 2 + 3 * x[1]!, Float64Array.from([2, 5]));
    expect(g[0]).toBeCloseTo(4, 6);
    expect(g[1]).toBeCloseTo(3, 6);
    expect(relativeError([2, 4], [1, 2])).toBeCloseTo(1, 12);
  });
});
