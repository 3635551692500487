import { MASK_FILL } from '@efficient-attention/core';
import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { entmaxBisect } from './entmax-bisect.js';

/**
 * Long-run counterexample of the transformer fuzz (FUZZ_RUNS=3000, seed 424242): entmax-alpha with
 * `iterations: 1` decoded with a kv cache differed from the full pass (−0.798 vs −0.800) because the bisection
 * bracket used the padded row length, so masked keys moved the result. The bracket now counts the row's
 * unmasked entries: a row gives the same probabilities with or without masked padding, at any iteration count.
 */
describeBackends('entmaxBisect regressions (fuzz)', () => {
  for (const iterations of [1, 2, 25]) {
    it(`masked padding (−∞ or MASK_FILL) does not change a row (iterations ${iterations})`, () => {
      const row = [0.7, -0.2, 1.3, 0.1];
      const bare = tf.tensor2d([row]);
      const padded = tf.tensor2d([[...row, MASK_FILL, Number.NEGATIVE_INFINITY, MASK_FILL]]);
      const a = entmaxBisect(bare, { alpha: 1.4, iterations });
      const b = entmaxBisect(padded, { alpha: 1.4, iterations });
      const pa = Array.from(a.dataSync());
      const pb = Array.from(b.dataSync());
      expect(pb.slice(4)).toEqual([0, 0, 0]);
      for (let i = 0; i < 4; i++) expect(Math.abs(pb[i]! - pa[i]!), `p[${i}]`).toBeLessThan(1e-6);
      tf.dispose([bare, padded, a, b]);
    });
  }
});
