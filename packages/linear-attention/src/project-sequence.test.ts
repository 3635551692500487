import { describeBackends, expectTensorsClose, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { projectSequence } from './project-sequence.js';
import { repeatKvHeads } from './repeat-kv-heads.js';

describeBackends('sequence helpers', () => {
  it('projectSequence applies E along the sequence of every batch and head (float64 loops)', () => {
    const e = seededTensor([3, 5], 1);
    const x = seededTensor([2, 2, 5, 4], 2);
    const want = new Float64Array(2 * 2 * 3 * 4);
    for (let g = 0; g < 4; g++)
      for (let r = 0; r < 3; r++)
        for (let j = 0; j < 5; j++)
          for (let t = 0; t < 4; t++)
            want[(g * 3 + r) * 4 + t]! += e.data[r * 5 + j]! * x.data[(g * 5 + j) * 4 + t]!;
    const out = projectSequence(e.tensor as tf.Tensor2D, x.tensor);
    expectTensorsClose(out, want, { atol: 1e-5, rtol: 1e-5 });
    tf.dispose([e.tensor, x.tensor, out]);
  });

  it('repeatKvHeads gives q head h the kv head ⌊h / group⌋ (core kvHeadOf convention)', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const out = repeatKvHeads(x, 3);
    expectTensorsClose(out, [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4], { atol: 0, rtol: 0 });
    tf.dispose([x, out]);
  });
});
