import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { tokenCrossEntropy } from './token-cross-entropy.js';

describeBackends('tokenCrossEntropy', () => {
  it('is the mean of −log softmax at the targets, skipping −1 (closed form)', () => {
    const logits = tf.tensor3d([
      [
        [0, 0, 0],
        [1000, 0, -1000],
      ],
      [
        [2, 1, 0],
        [0, 0, 5],
      ],
    ]);
    const targets = tf.tensor2d(
      [
        [1, -1],
        [0, 2],
      ],
      undefined,
      'int32',
    );
    // Row 1: uniform → ln 3. Row 3: ln(1 + e⁻¹ + e⁻²). Row 4: ln(2e⁻⁵ + 1). The −1 row (huge logits) is skipped.
    const expected =
      (Math.log(3) + Math.log(1 + Math.exp(-1) + Math.exp(-2)) + Math.log(1 + 2 * Math.exp(-5))) / 3;
    expectNoLeaks(() => {
      const loss = tokenCrossEntropy(logits, targets);
      expectTensorsClose(loss, [expected], { atol: 1e-6, rtol: 1e-6 });
      return loss;
    });
    const none = tokenCrossEntropy(logits, tf.fill([2, 2], -1, 'int32'));
    expectTensorsClose(none, [0], { atol: 0, rtol: 0 });
    tf.dispose([logits, targets, none]);
  });
});
