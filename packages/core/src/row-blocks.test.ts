import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { it } from 'vitest';
import { rowBlocks } from './row-blocks.js';

describeBackends('row blocks', () => {
  it('cut rows as tf.slice does (as they are and transposed), with the gradients of slice', () => {
    const x = seededTensor([10, 3], 1).tensor as tf.Tensor2D;
    const w = seededTensor([4, 3], 2).tensor;
    const blocks = rowBlocks(x);
    expectTensorsClose(blocks.rows(3, 4), tf.slice(x, [3, 0], [4, 3]), { atol: 0, rtol: 0 });
    expectTensorsClose(blocks.rowsTransposed(6, 4), tf.transpose(tf.slice(x, [6, 0], [4, 3])), {
      atol: 0,
      rtol: 0,
    });
    // d/dx Σ (block ⊙ w) is w placed at the block's rows, zeros elsewhere: exactly slice's gradient.
    const viaBlocks = tf.grad((a: tf.Tensor) => {
      const b = rowBlocks(a as tf.Tensor2D);
      return tf.add(tf.sum(tf.mul(b.rows(3, 4), w)), tf.sum(tf.mul(b.rowsTransposed(6, 4), tf.transpose(w))));
    })(x);
    const viaSlice = tf.grad((a: tf.Tensor) =>
      tf.add(tf.sum(tf.mul(tf.slice(a, [3, 0], [4, 3]), w)), tf.sum(tf.mul(tf.slice(a, [6, 0], [4, 3]), w))),
    )(x);
    expectTensorsClose(viaBlocks, viaSlice, { atol: 0, rtol: 0 });
    expectTensorsClose(
      blocks.rowsWithOnes(2, 5),
      tf.concat([tf.slice(x, [2, 0], [5, 3]), tf.ones([5, 1])], 1),
      {
        atol: 0,
        rtol: 0,
      },
    );
    expectNoLeaks(() => rowBlocks(x).rows(0, 2));
    tf.dispose([x, w, viaBlocks, viaSlice]);
  });

  it('read through heap views that stay correct when the wasm heap grows between blocks', () => {
    const x = seededTensor([64, 16], 5).tensor as tf.Tensor2D;
    const want = x.arraySync();
    const blocks = rowBlocks(x);
    for (let i = 0; i < 3; i++) {
      // 64 MB each: on wasm the heap must grow, which replaces the buffer any earlier view pointed into.
      const filler = tf.fill([2 ** 24], i + 1);
      const from = 8 * i;
      expectTensorsClose(blocks.rows(from, 8), tf.tensor2d(want.slice(from, from + 8)), { atol: 0, rtol: 0 });
      expectTensorsClose(
        blocks.rowsTransposed(from + 24, 8),
        tf.transpose(tf.tensor2d(want.slice(from + 24, from + 32))),
        {
          atol: 0,
          rtol: 0,
        },
      );
      expectTensorsClose(
        blocks.rowsWithOnes(from + 40, 8),
        tf.concat([tf.tensor2d(want.slice(from + 40, from + 48)), tf.ones([8, 1])], 1),
        {
          atol: 0,
          rtol: 0,
        },
      );
      tf.dispose(filler);
    }
    tf.dispose(x);
  });

  for (const read of ['auto', 'pages'] as const)
    it(`serve any sequence of blocks exactly, across read pages and larger than a page (read: ${read})`, () => {
      // 65 539 floats a row: a read page (2^18 floats) holds 3 rows, so blocks of 1–2 rows come from pages
      // (crossing their edges in any order) and blocks of ≥ 3 rows are read whole; the reference is tf.slice.
      const width = 65_539;
      const total = 11;
      const x = seededTensor([total, width], 3).tensor as tf.Tensor2D;
      fc.assert(
        fc.property(
          fc.array(
            fc
              .tuple(fc.integer({ min: 0, max: total - 1 }), fc.integer({ min: 1, max: total }))
              .map(([from, size]) => [from, Math.min(size, total - from)] as const),
            { minLength: 1, maxLength: 8 },
          ),
          (requests) => {
            const blocks = rowBlocks(x, { read });
            for (const [from, size] of requests) {
              const want = tf.slice(x, [from, 0], [size, width]);
              expectTensorsClose(blocks.rows(from, size), want, { atol: 0, rtol: 0 });
              if (size <= 2) {
                expectTensorsClose(blocks.rowsTransposed(from, size), tf.transpose(want), {
                  atol: 0,
                  rtol: 0,
                });
              }
              tf.dispose(want);
            }
          },
        ),
        { numRuns: 8, seed: 23 },
      );
      const small = seededTensor([37, 5], 4).tensor as tf.Tensor2D;
      const blocks = rowBlocks(small, { read });
      for (const [from, size] of [
        [30, 7],
        [0, 37],
        [5, 16],
        [17, 1],
      ] as const) {
        const want = tf.slice(small, [from, 0], [size, 5]);
        expectTensorsClose(blocks.rowsTransposed(from, size), tf.transpose(want), { atol: 0, rtol: 0 });
        expectTensorsClose(blocks.rowsWithOnes(from, size), tf.concat([want, tf.ones([size, 1])], 1), {
          atol: 0,
          rtol: 0,
        });
      }
      tf.dispose([x, small]);
    });
});
