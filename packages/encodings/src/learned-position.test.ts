import { InvalidArgumentError, seededNormal } from '@efficient-attention/core';
import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { learnedPosition } from './learned-position.js';

describeBackends('learnedPosition', () => {
  it('returns rows offset … offset + length − 1 of a seeded N(0, initStd²) table', () => {
    const enc = learnedPosition({ dim: 4, maxLength: 10, seed: 7, initStd: 0.5 });
    const reference = seededNormal([10, 4], 7, 0.5);
    const values = reference.dataSync();
    const rows = enc.encode(3, { offset: 6 });
    expectTensorsClose(rows, values.slice(24, 36), { atol: 0, rtol: 0 });
    expectTensorsClose(enc.variables.table!, reference, { atol: 0, rtol: 0 });
    tf.dispose([reference, rows]);
    enc.dispose();
  });

  it('refuses positions past maxLength with a message that says what to do', () => {
    const enc = learnedPosition({ dim: 2, maxLength: 8 });
    expect(() => enc.encode(9)).toThrow(InvalidArgumentError);
    expect(() => enc.encode(3, { offset: 6 })).toThrow(/at most maxLength = 8.*larger maxLength/);
    expect(() => enc.apply(tf.zeros([1, 9, 2]))).toThrow(/maxLength = 8/);
    tf.dispose(enc.encode(8)); // the whole table is fine
    enc.dispose();
  });

  it('trains: the gradient reaches exactly the rows used, and one Adam step reduces a loss', () => {
    const enc = learnedPosition({ dim: 3, maxLength: 6, seed: 1 });
    const table = enc.variables.table!;
    const x = tf.ones([2, 4, 3]);
    const loss = () => tf.sum(tf.square(enc.apply(x, { offset: 1 }))) as tf.Scalar;
    const { value: lossValue, grads } = tf.variableGrads(loss, [table]);
    // ∂Σ(x + E_p)²/∂E_p = 2·Σ_batch (1 + E_p) for p = 1 … 4; zero for rows 0 and 5.
    const e = table.dataSync();
    const expected = Array.from(e, (v, idx) => {
      const row = Math.floor(idx / 3);
      return row >= 1 && row <= 4 ? 2 * 2 * (1 + v) : 0;
    });
    expectTensorsClose(grads[table.name]!, expected);
    tf.dispose([lossValue, grads]);
    const before = tf.tidy(() => loss().dataSync()[0]!);
    const optimizer = tf.train.adam(0.05);
    optimizer.minimize(loss, false, [table]);
    optimizer.dispose();
    expect(tf.tidy(() => loss().dataSync()[0]!)).toBeLessThan(before);
    x.dispose();
    enc.dispose();
  });

  it('leaks nothing and frees the table on dispose', () => {
    const before = tf.memory().numTensors;
    const enc = learnedPosition({ dim: 4, maxLength: 16 });
    const x = tf.zeros([2, 5, 4]);
    expectNoLeaks(() => enc.apply(x, { offset: 2 }));
    x.dispose();
    enc.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options', () => {
    const bad: Array<[() => unknown, RegExp]> = [
      [() => learnedPosition({ dim: 2 } as never), /maxLength/],
      [() => learnedPosition({ dim: 2, maxLength: 0 }), /maxLength/],
      [() => learnedPosition({ dim: 2, maxLength: 4, seed: 0.5 }), /seed/],
      [() => learnedPosition({ dim: 2, maxLength: 4, initStd: -1 }), /initStd/],
      [() => learnedPosition({ dim: 2, maxLength: 4, std: 1 } as never), /options\.std/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
  });
});
