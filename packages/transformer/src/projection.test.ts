import { bitLinear, weightBytes } from '@efficient-attention/bitnet';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { createProjection } from './projection.js';

describeBackends('createProjection', () => {
  it('float: x·W over the last axis, W ~ N(0, 1/dIn) drawn from the seed', () => {
    const p = createProjection(6, 5, 'float', 11);
    const x = seededTensor([2, 3, 6], 1);
    const w = p.weight.dataSync();
    const expected = new Float64Array(2 * 3 * 5);
    for (let r = 0; r < 6; r++)
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let i = 0; i < 6; i++) s += x.data[r * 6 + i]! * w[i * 5 + j]!;
        expected[r * 5 + j] = s;
      }
    expectNoLeaks(() => {
      const y = p.apply(x.tensor);
      expect(y.shape).toEqual([2, 3, 5]);
      expectTensorsClose(y, expected, { atol: 1e-5, rtol: 1e-5 });
      return y;
    });
    const again = createProjection(6, 5, 'float', 11);
    expectTensorsClose(again.weight, p.weight, { atol: 0, rtol: 0 });
    expect(p.bytes()).toEqual({ float32: 120, deployed: 120 });
    tf.dispose(x.tensor);
    p.dispose();
    again.dispose();
  });

  it('bitnet: bitnet’s bitLinear with the learned RMSNorm gain; deploys packed 2-bit', () => {
    const p = createProjection(16, 4, 'bitnet', 12);
    expect(Object.keys(p.variables)).toEqual(['weight', 'gain']);
    p.gain!.assign(tf.linspace(0.5, 1.5, 16));
    const x = seededTensor([3, 16], 2);
    const y = p.apply(x.tensor);
    const expected = bitLinear(x.tensor, p.weight, { gain: p.gain! });
    expectTensorsClose(y, expected, { atol: 0, rtol: 0 });
    expect(p.bytes()).toEqual({
      float32: 4 * (64 + 16),
      deployed: weightBytes(64, 'i2s', { rowLength: 16 }) + 64,
    });
    tf.dispose([x.tensor, y, expected]);
    p.dispose();
  });
});
