import { InvalidArgumentError } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { AdaptiveSpan } from './adaptive-span.js';
import { rampScore64 } from './test-support/float64.js';

describeBackends('AdaptiveSpan', () => {
  it('starts at initialSpan, reports trimmed spans ⌈z + R⌉ ≤ S, and clamps z to [0, S]', () => {
    const span = new AdaptiveSpan({ heads: 3, rampSize: 32, maxSpan: 100, initialSpan: 32 });
    expect(Array.from(span.span.dataSync())).toEqual([32, 32, 32]);
    expect(span.trimmedSpan()).toEqual([64, 64, 64]);
    span.span.assign(tf.tensor1d([-4, 40.2, 250]));
    expect(span.trimmedSpan()).toEqual([32, 73, 100]);
    span.clamp();
    expect(Array.from(span.span.dataSync())).toEqual([0, expect.closeTo(40.2, 5), 100]);
    span.dispose();
    const defaults = new AdaptiveSpan({ heads: 2 });
    expect([defaults.rampSize, defaults.maxSpan, defaults.span.trainable]).toEqual([32, 1024, true]);
    expect(Array.from(defaults.span.dataSync())).toEqual([0, 0]);
    defaults.dispose();
  });

  it('attends like the float64 reference under its per-head ramp, and its penalty is λ·mean(z)', () => {
    const span = new AdaptiveSpan({ heads: 2, rampSize: 4, maxSpan: 24, initialSpan: 0 });
    span.span.assign(tf.tensor1d([2.5, 9]));
    const q = seededTensor([1, 2, 32, 8], 1);
    const out = span.attention(q.tensor, q.tensor, q.tensor, { causal: true, blockSize: 8 });
    const ref = referenceAttention(
      {
        q: q.data,
        k: q.data,
        v: q.data,
        batch: 1,
        heads: 2,
        kvHeads: 2,
        qLen: 32,
        kvLen: 32,
        headDim: 8,
        valueDim: 8,
      },
      { causal: true, scoreMod: (s, _b, h, i, j) => rampScore64(s, i - j, [2.5, 9][h]!, 4, 24) },
    );
    expectTensorsClose(out, ref.output, { atol: 3e-5, rtol: 3e-4 });
    const penalty = span.penalty(0.1);
    expect(penalty.dataSync()[0]).toBeCloseTo(0.1 * 5.75, 6);
    tf.dispose([q.tensor, out, penalty]);
    span.dispose();
  });

  it('learns to shrink each head’s span toward the distance its task needs (seeded training)', () => {
    // Two heads with q = k = 0, so the weights are the ramp alone (m / Σm). Head h must output the mean of
    // the k_h most recent values (k = 4 and 12); both spans start at 24. Longer spans mix in values
    // the target excludes, shorter ones drop values it includes, and the penalty λ·mean(z) breaks ties
    // toward short spans. Adam (lr 0.5, β₁ 0.5), 40 steps, clamped after each step.
    const n = 48;
    const heads = 2;
    const d = 4;
    const rampSize = 4;
    const need = [4, 12];
    const v = seededTensor([1, heads, n, d], 5);
    const target = new Float32Array(heads * n * d);
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < n; i++) {
        const lo = Math.max(0, i - need[h]! + 1);
        for (let c = 0; c < d; c++) {
          let s = 0;
          for (let j = lo; j <= i; j++) s += v.data[(h * n + j) * d + c]!;
          target[(h * n + i) * d + c] = s / (i - lo + 1);
        }
      }
    const targetTensor = tf.tensor4d(target, [1, heads, n, d]);
    const zeros = tf.zeros([1, heads, n, 8]);
    const span = new AdaptiveSpan({ heads, rampSize, maxSpan: 40, initialSpan: 24 });
    const optimizer = tf.train.adam(0.5, 0.5);
    for (let step = 0; step < 40; step++) {
      // Dense execution: the same function as block-sparse (span-attention.test.ts), cheaper at N = 48.
      optimizer.minimize(
        () =>
          tf.add(
            tf.mean(
              tf.squaredDifference(
                span.attention(zeros, zeros, v.tensor, { causal: true, execution: 'dense' }),
                targetTensor,
              ),
            ),
            span.penalty(1e-3),
          ) as tf.Scalar,
      );
      span.clamp();
    }
    const learned = Array.from(span.span.dataSync());
    need.forEach((k, h) => {
      expect(learned[h]).toBeLessThan(24); // direction: the span shrank
      // Bound: the ramp's midpoint z + R/2 ends within R/2 of k (the span covers about k keys) …
      expect(Math.abs(learned[h]! + rampSize / 2 - k)).toBeLessThanOrEqual(rampSize / 2);
      // … so the trimmed span is within one ramp of k.
      expect(span.trimmedSpan()[h]).toBeGreaterThanOrEqual(k);
      expect(span.trimmedSpan()[h]).toBeLessThanOrEqual(k + rampSize);
    });
    expect(learned[0]).toBeLessThan(learned[1]!);
    optimizer.dispose();
    tf.dispose([v.tensor, targetTensor, zeros]);
    span.dispose();
  });

  it('leaves no tensors behind after construction and dispose()', () => {
    expectNoLeaks(() => {
      new AdaptiveSpan({ heads: 3, rampSize: 2, maxSpan: 16, initialSpan: 3 }).dispose();
      new AdaptiveSpan({ heads: 2, rampSize: 2, maxSpan: 16, trainable: false }).dispose();
    });
  });

  it('leaks no tensors in attention, penalty and gradient steps', () => {
    const span = new AdaptiveSpan({ heads: 2, rampSize: 2, maxSpan: 16, initialSpan: 3 });
    const q = seededTensor([1, 2, 20, 4], 9).tensor;
    expectNoLeaks(() => span.attention(q, q, q, { blockSize: 8 }));
    expectNoLeaks(() => span.penalty(1));
    expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.add(
            tf.sum(span.attention(q, q, q, { causal: true, blockSize: 8 })),
            span.penalty(1),
          ) as tf.Scalar,
      );
      return [value, ...Object.values(grads)];
    });
    expectNoLeaks(() => span.clamp());
    q.dispose();
    span.dispose();
  });

  it('rejects max span ≤ 0, ramp ≤ 0, spans outside [0, S], bad heads and unknown options', () => {
    expect(() => new AdaptiveSpan({ heads: 2, maxSpan: 0 })).toThrow(InvalidArgumentError);
    expect(() => new AdaptiveSpan({ heads: 2, maxSpan: -8 })).toThrow(
      /`options.maxSpan` must be an integer ≥ 1/,
    );
    expect(() => new AdaptiveSpan({ heads: 2, rampSize: 0 })).toThrow(
      /`options.rampSize` must be a finite number > 0/,
    );
    expect(() => new AdaptiveSpan({ heads: 2, initialSpan: -1 })).toThrow(
      /`options.initialSpan` must be a finite number ≥ 0/,
    );
    expect(() => new AdaptiveSpan({ heads: 2, maxSpan: 64, initialSpan: 65 })).toThrow(/≤ 64/);
    expect(() => new AdaptiveSpan({ heads: 0 })).toThrow(/options.heads/);
    expect(() => new AdaptiveSpan({ heads: 2, span: 4 } as never)).toThrow(/options.span/);
    expect(() => new AdaptiveSpan(undefined as never)).toThrow(InvalidArgumentError);
    const span = new AdaptiveSpan({ heads: 2 });
    const q = tf.zeros([1, 2, 4, 4]);
    expect(() => span.attention(q, q, q, { rampSize: 3 } as never)).toThrow(/options.rampSize/);
    tf.dispose(q);
    span.dispose();
  });
});
