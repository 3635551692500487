import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { adaptivelySparseAttention } from './adaptively-sparse-attention.js';

/** Counterexamples the fuzz suite (adaptive.fuzz.test.ts) found, kept as named tests. */
describeBackends('adaptivelySparseAttention regressions (fuzz)', () => {
  // Fuzz counterexample: with `normalizer: 'entmax'`, an `alpha` that is neither a number nor a tensor
  // ('1', true, [1], {}) reaches tfjs and fails there ("Size(1) must match the product of shape 1,2,1,1",
  // "Argument 'x' passed to 'reshape' must be a Tensor") instead of an InvalidArgumentError naming
  // `options.alpha` (entmaxBisect itself names it). Fixed: adaptivelySparseAttention checks alpha first.
  it.each([['1'], [true], [[1]], [{}]])('alpha %j is rejected naming options.alpha', (alpha) => {
    const q = tf.ones([1, 2, 5, 4]);
    try {
      expect(() =>
        adaptivelySparseAttention(q, q, q, { normalizer: 'entmax', alpha: alpha as number }),
      ).toThrow(/`options\.alpha`/);
    } finally {
      q.dispose();
    }
  });
});
