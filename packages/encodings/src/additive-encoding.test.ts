import { InvalidArgumentError } from '@efficient-attention/core';
import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { additiveEncoding } from './additive-encoding.js';

describeBackends('additiveEncoding', () => {
  // A toy table: row p = (p, 10p).
  const make = () =>
    additiveEncoding({
      fn: 'toy',
      name: 'toy',
      dim: 2,
      variables: {},
      table: (length, offset) =>
        tf.tensor2d(Array.from({ length }, (_, i) => [offset + i, 10 * (offset + i)]).flat(), [length, 2]),
      dispose: () => {},
    });

  it('encodes rows from an offset and adds them to [batch, length, dim] or [length, dim]', () => {
    const enc = make();
    expect(enc.kind).toBe('additive');
    expect(Object.isFrozen(enc)).toBe(true);
    const t = enc.encode(2, { offset: 3 });
    expectTensorsClose(t, [3, 30, 4, 40], { atol: 0, rtol: 0 });
    const x = tf.ones([2, 2, 2]);
    const y = enc.apply(x, { offset: 1 });
    expectTensorsClose(y, [2, 11, 3, 21, 2, 11, 3, 21], { atol: 0, rtol: 0 });
    const y2 = enc.apply(tf.ones([3, 2]));
    expectTensorsClose(y2, [1, 1, 2, 11, 3, 21], { atol: 0, rtol: 0 });
    expectNoLeaks(() => enc.apply(x));
    tf.dispose([t, x, y, y2]);
  });

  it('validates lengths, offsets and the embeddings’ shape and dtype', () => {
    const enc = make();
    const bad: Array<[() => unknown, RegExp]> = [
      [() => enc.encode(1.5), /toy\.encode: `length`/],
      [() => enc.encode(2, { offset: -1 }), /`options\.offset`/],
      [() => enc.encode(2, { start: 1 } as never), /options\.start/],
      [() => enc.apply(tf.ones([2, 2, 3])), /\[batch, length, 2\]/],
      [() => enc.apply(tf.ones([2])), /\[length, 2\]/],
      [() => enc.apply(tf.ones([1, 0, 2])), /non-empty/],
      [() => enc.apply([1, 2] as never), /`x`/],
      [() => enc.apply(tf.ones([2, 2], 'int32')), /dtype/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
  });
});
