import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { nystromformerMechanism } from './nystromformer-mechanism.js';

// Counterexample of the transformer fuzz suite (its mechanism pre-flight): an instance of the nystromformer
// mechanism, created and disposed without ever being applied, left one tensor behind (any seqLen): the
// zeros given to tf.variable. Fixed.
describeBackends('nystromformer mechanism regressions (fuzz)', () => {
  it('create then dispose leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    nystromformerMechanism.create({}, { seed: 0, heads: 1, headDim: 2, seqLen: 8 }).dispose();
    expect(tf.memory().numTensors - before, 'tensors left after dispose()').toBe(0);
  });
});
