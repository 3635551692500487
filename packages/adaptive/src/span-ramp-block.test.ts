import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { addRampLogMask } from './span-ramp-block.js';
import { rampMask64 } from './test-support/float64.js';

const constants = { rampSize: 4, maxSpan: 20, offset: 0 };
/** A block of 3 queries × 6 keys of head 1 (of 3), queries 10–12 and keys 5–10. */
const ctx = {
  batchStart: 0,
  headStart: 1,
  headCount: 1,
  qStart: 10,
  kvStart: 5,
  qLen: 32,
  kvLen: 32,
  qPositions: () => tf.zeros([1]),
  kvPositions: () => tf.zeros([1]),
};

describeBackends('addRampLogMask', () => {
  it("adds log m to a block of one head and sends Σ dy·∂log m/∂z to that head's span only", () => {
    const spanValues = [9, 2.5, 30];
    const spans = tf.tensor1d(spanValues);
    const scores = tf.zeros([1, 1, 3, 6]);
    const [value, grad] = tf.tidy(() => {
      const out = addRampLogMask('test', spans, spanValues, scores, ctx, constants);
      // Loss Σ over finite entries: its gradient is Σ ∂log m/∂z over the ramp.
      const g = tf.grad((z: tf.Tensor) => {
        const o = addRampLogMask('test', z, spanValues, scores, ctx, constants);
        return tf.sum(tf.where(tf.isFinite(o), o, tf.zerosLike(o)));
      })(spans);
      return [out, g];
    });
    const got = value.dataSync();
    let expectedGrad = 0;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 6; j++) {
        const x = Math.abs(10 + i - (5 + j));
        const m = rampMask64(x, 2.5, 4, 20);
        expect(got[i * 6 + j]).toBe(m > 0 ? Math.fround(Math.log(m)) : Number.NEGATIVE_INFINITY);
        // d log((R + z − x)/R)/dz = 1/(R + z − x) on the ramp (0 < m < 1), 0 where flat or zero.
        if (m > 0 && m < 1) expectedGrad += 1 / (4 + 2.5 - x);
      }
    expectTensorsClose(grad, [0, expectedGrad, 0], { atol: 1e-6, rtol: 1e-6 });
    expect(expectedGrad).toBeGreaterThan(0);
    tf.dispose([spans, scores, value, grad]);
  });

  it('reuses a cached mask for repeated blocks of per-head spans (same values), never for per-query spans', () => {
    const spans = tf.tensor1d([9, 2.5, 30]);
    const scores = tf.zeros([1, 1, 3, 6]);
    const cache = new Map<string, tf.Tensor>();
    const a = addRampLogMask('test', spans, [9, 2.5, 30], scores, ctx, constants, cache);
    const b = addRampLogMask('test', spans, [9, 2.5, 30], scores, ctx, constants, cache);
    expect(cache.size).toBe(1);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    const perQuery = tf.zeros([1, 3, 32, 1]);
    addRampLogMask('test', perQuery, new Float32Array(96), scores, ctx, constants, cache).dispose();
    expect(cache.size).toBe(1);
    tf.dispose([a, b, perQuery, ...cache.values()]);
    expectNoLeaks(() => addRampLogMask('test', spans, [9, 2.5, 30], scores, ctx, constants));
    tf.dispose([spans, scores]);
  });
});
