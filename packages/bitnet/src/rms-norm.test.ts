import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { referenceRmsNorm } from './reference-quantizers.test-support.js';
import { rmsNorm } from './rms-norm.js';

describeBackends('rmsNorm', () => {
  it('hand-computed case', () => {
    const x = tf.tensor2d([[3, 4]]);
    // mean square 12.5 → [3, 4] / √12.5
    expectTensorsClose(rmsNorm(x, { epsilon: 1e-12 }), [3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)], {
      atol: 1e-6,
    });
    x.dispose();
  });

  it('matches the float64 reference with and without a gain (rtol 1e-5: float32 mean of ≤ 64 squares)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1_000_000 }),
        (rows, d, withGain, seed) => {
          const x = seededTensor([rows, d], seed, 2);
          const g = seededTensor([d], seed + 1);
          const out = rmsNorm(x.tensor, withGain ? { gain: g.tensor } : {});
          expectTensorsClose(out, referenceRmsNorm(x.data, d, withGain ? g.data : undefined, 1e-6), {
            atol: 1e-6,
            rtol: 1e-5,
          });
          tf.dispose([x.tensor, g.tensor, out]);
        },
      ),
      { numRuns: 30, seed: 3 },
    );
  });

  it('keeps zero rows at zero and has gradients equal to float64 finite differences', () => {
    const zero = tf.zeros([2, 5]);
    expect(Array.from(rmsNorm(zero).dataSync())).toEqual(Array(10).fill(0));
    const x = seededTensor([2, 6], 9);
    const g = seededTensor([6], 10);
    const c = seededTensor([2, 6], 11);
    const [dx, dg] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(rmsNorm(a, { gain: b }), c.tensor)),
    )([x.tensor, g.tensor]);
    const loss = (xs: Float64Array, gs: Float64Array) =>
      referenceRmsNorm(xs, 6, gs, 1e-6).reduce((s, v, i) => s + v * c.data[i]!, 0);
    // Central differences (eps 1e-5) of the float64 loss against float32 autodiff: atol 1e-4.
    expectTensorsClose(
      dx!,
      finiteDifferenceGradient((xs) => loss(xs, g.data), x.data),
      { atol: 1e-4, rtol: 1e-3 },
    );
    expectTensorsClose(
      dg!,
      finiteDifferenceGradient((gs) => loss(x.data, gs), g.data),
      { atol: 1e-4, rtol: 1e-3 },
    );
    expectNoLeaks(() => rmsNorm(x.tensor, { gain: g.tensor }));
    tf.dispose([zero, x.tensor, g.tensor, c.tensor, dx!, dg!]);
  });

  it('rejects a gain of the wrong shape, a non-positive ε and unknown options', () => {
    const x = tf.ones([2, 4]);
    const g = tf.ones([3]);
    expect(() => rmsNorm(x, { gain: g })).toThrow(
      /`options.gain.shape` must be \[4\] \(the last axis of x\), received \[3\]/,
    );
    expect(() => rmsNorm(x, { epsilon: 0 })).toThrow(
      /`options.epsilon` must be a finite number > 0, received 0/,
    );
    expect(() => rmsNorm(x, { eps: 1 } as object)).toThrow(/`options.eps` must be one of the known options/);
    tf.dispose([x, g]);
  });
});
