import { describeBackends, expectTensorsClose, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { depthwiseSequenceConv } from './sequence-conv.js';

describeBackends('depthwiseSequenceConv', () => {
  it('equals the zero-padded per-head convolution along the sequence (float64 loops), with weight gradients', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 10_000 }),
        (b, h, n, d, half, seed) => {
          const kernel = 2 * half + 1;
          const x = seededTensor([b, h, n, d], seed);
          const w = seededTensor([h, kernel], seed + 1);
          const want = new Float64Array(b * h * n * d);
          for (let bi = 0; bi < b; bi++)
            for (let hi = 0; hi < h; hi++)
              for (let i = 0; i < n; i++)
                for (let t = 0; t < kernel; t++) {
                  const j = i + t - half;
                  if (j < 0 || j >= n) continue;
                  for (let c = 0; c < d; c++) {
                    want[((bi * h + hi) * n + i) * d + c]! +=
                      w.data[hi * kernel + t]! * x.data[((bi * h + hi) * n + j) * d + c]!;
                  }
                }
          const out = depthwiseSequenceConv(x.tensor, w.tensor);
          expectTensorsClose(out, want, { atol: 1e-5, rtol: 1e-4 });
          // d(Σ out)/d w[h, t] = Σ of the inputs that tap t reads: the gradient exists on every backend.
          const g = tf.grad((ww: tf.Tensor) => tf.sum(depthwiseSequenceConv(x.tensor, ww)))(w.tensor);
          expect(g.shape).toEqual([h, kernel]);
          expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
          tf.dispose([out, g, x.tensor, w.tensor]);
        },
      ),
      { numRuns: 15, seed: 2 },
    );
  });
});
