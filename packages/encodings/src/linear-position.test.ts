import { InvalidArgumentError } from '@efficient-attention/core';
import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { linearPosition } from './linear-position.js';

describeBackends('linearPosition', () => {
  it('fixed: every dimension carries t = p/(L−1), with L the call length or maxLength', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 20 }),
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        (d, length, offset, maxLength) => {
          const enc = linearPosition({ dim: d, ...(maxLength === undefined ? {} : { maxLength }) });
          expect(enc.variables).toEqual({});
          const table = enc.encode(length, { offset });
          const span = (maxLength ?? offset + length) - 1;
          const expected = Array.from({ length: length * d }, (_, idx) => {
            const p = offset + Math.floor(idx / d);
            return span > 0 ? p / span : 0;
          });
          // One float32 multiply-add of values ≤ ~100: atol 1e-5, rtol 1e-6.
          expectTensorsClose(table, expected, { atol: 1e-5, rtol: 1e-6 });
          table.dispose();
          enc.dispose();
        },
      ),
      { seed: 401, numRuns: 25 },
    );
  });

  it('gives t = 0 (not NaN) for a single position', () => {
    const enc = linearPosition({ dim: 3 });
    const t = enc.encode(1);
    expectTensorsClose(t, [0, 0, 0], { atol: 0, rtol: 0 });
    t.dispose();
    enc.dispose();
  });

  it('learnable: gradients of Σ c·PE equal the closed form, and one SGD step reduces a loss', () => {
    const enc = linearPosition({ dim: 2, trainable: true });
    const { weight, bias } = enc.variables as { weight: tf.Variable; bias: tf.Variable };
    // Target: row p = (2t, −1), t = p/4 for L = 5. Loss = mean((PE − target)²).
    const target = tf.tensor2d([0, -1, 0.5, -1, 1, -1, 1.5, -1, 2, -1], [5, 2]);
    const loss = () => tf.mean(tf.square(tf.sub(enc.encode(5), target))) as tf.Scalar;
    const { value: lossValue, grads } = tf.variableGrads(loss, [weight, bias]);
    // Closed form with w = 1, b = 0: residual r_p = (t − 2t, t + 1) = (−t, t + 1); ∂/∂w_j = (2/10) Σ r_pj t_p,
    // ∂/∂b_j = (2/10) Σ r_pj, with t = 0, 0.25, 0.5, 0.75, 1 (Σt = 2.5, Σt² = 1.875).
    expectTensorsClose(grads[weight.name]!, [-0.2 * 1.875, 0.2 * (1.875 + 2.5)]);
    expectTensorsClose(grads[bias.name]!, [-0.2 * 2.5, 0.2 * (2.5 + 5)]);
    tf.dispose([lossValue, grads]);
    const before = tf.tidy(() => loss().dataSync()[0]!);
    const optimizer = tf.train.sgd(0.5);
    optimizer.minimize(loss, false, [weight, bias]);
    optimizer.dispose();
    expect(tf.tidy(() => loss().dataSync()[0]!)).toBeLessThan(before);
    target.dispose();
    enc.dispose();
  });

  it('leaks nothing and frees its parameters on dispose', () => {
    const before = tf.memory().numTensors;
    for (const trainable of [false, true]) {
      const enc = linearPosition({ dim: 4, trainable });
      const x = tf.zeros([2, 3, 4]);
      expectNoLeaks(() => enc.apply(x));
      x.dispose();
      enc.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options', () => {
    const bad: Array<[() => unknown, RegExp]> = [
      [() => linearPosition({ dim: 0 }), /dim/],
      [() => linearPosition({ dim: 2, maxLength: 0 }), /maxLength/],
      [() => linearPosition({ dim: 2, trainable: 'yes' as never }), /trainable.*boolean/],
      [() => linearPosition({ dim: 2, learnable: true } as never), /options\.learnable/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
  });
});
