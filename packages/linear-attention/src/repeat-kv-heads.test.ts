import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { linearAttention } from './linear-attention.js';
import { repeatKvHeads } from './repeat-kv-heads.js';

describeBackends('repeatKvHeads', () => {
  it('serves kv head j to query heads group·j … group·j + group − 1, and sums their gradients back', () => {
    const [b, kh, n, d, group] = [2, 3, 5, 4, 2];
    const x = seededTensor([b, kh, n, d], 1);
    const w = seededTensor([b, kh * group, n, d], 2);
    const repeated = repeatKvHeads(x.tensor, group);
    const values = repeated.dataSync();
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(w.tensor, repeatKvHeads(t, group))))(x.tensor);
    const g = grad.dataSync();
    const at = (bb: number, h: number, heads: number, i: number) => (bb * heads + h) * n * d + i;
    for (let bb = 0; bb < b; bb++)
      for (let h = 0; h < kh * group; h++)
        for (let i = 0; i < n * d; i++)
          expect(values[at(bb, h, kh * group, i)]).toBe(
            Math.fround(x.data[at(bb, Math.floor(h / group), kh, i)]!),
          );
    // The gradient of kv head j is the sum of w over its query heads (exact: two float32 terms).
    for (let bb = 0; bb < b; bb++)
      for (let j = 0; j < kh; j++)
        for (let i = 0; i < n * d; i++) {
          const want = Math.fround(
            w.data[at(bb, 2 * j, kh * group, i)]! + w.data[at(bb, 2 * j + 1, kh * group, i)]!,
          );
          expect(g[at(bb, j, kh, i)]).toBe(want);
        }
    tf.dispose([x.tensor, w.tensor, repeated, grad]);
  });

  it('lets causal grouped-query linear attention train (tfjs has no tile gradient past rank 4)', () => {
    const q = seededTensor([1, 4, 9, 4], 3).tensor;
    const k = seededTensor([1, 2, 9, 4], 4).tensor;
    const v = seededTensor([1, 2, 9, 3], 5).tensor;
    // The same heads repeated by slices and a concat (their own gradients): equal head counts.
    const byConcat = (t: tf.Tensor) => {
      const [h0, h1] = tf.split(t, 2, 1);
      return tf.concat([h0!, h0!, h1!, h1!], 1);
    };
    const grads = (repeat: boolean) =>
      tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor) =>
        linearAttention(a, repeat ? byConcat(bb) : bb, repeat ? byConcat(c) : c, { causal: true }),
      )([q, k, v]);
    expectNoLeaks(() => {
      const grouped = grads(false);
      const explicit = grads(true);
      // Identical arithmetic up to the order of the group sum: float32 rounding only.
      grouped.forEach((g, i) => {
        expectTensorsClose(g, explicit[i]!, { atol: 1e-6, rtol: 1e-5 });
      });
      return [...grouped, ...explicit];
    });
    tf.dispose([q, k, v]);
  });
});
