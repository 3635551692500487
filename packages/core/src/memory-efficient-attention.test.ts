import {
  attentionCaseArbitrary,
  buildAttentionCase,
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { memoryEfficientAttention } from './memory-efficient-attention.js';
import { scaledDotProductAttention } from './scaled-dot-product-attention.js';
import { scoreMod } from './types.js';

// float32 online softmax vs float64 reference; chunking only reorders the sums.
const TOL = { atol: 3e-5, rtol: 3e-4 };

describeBackends('memoryEfficientAttention', () => {
  it('equals the float64 reference for random shapes and chunk sizes (incl. chunks that do not divide N)', () => {
    fc.assert(
      fc.property(
        attentionCaseArbitrary(90),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        (p, queryChunkSize, keyChunkSize) => {
          const c = buildAttentionCase(p);
          try {
            const out = memoryEfficientAttention(c.q, c.k, c.v, {
              causal: p.causal,
              queryChunkSize,
              keyChunkSize,
              ...(c.mask ? { mask: c.mask } : {}),
            });
            expectTensorsClose(out, c.reference.output, TOL);
            out.dispose();
          } finally {
            c.dispose();
          }
        },
      ),
      { numRuns: 30, seed: 7 },
    );
  });

  it('matches dense attention with a tensor score modifier, and its gradients', () => {
    const q = seededTensor([1, 2, 33, 8], 1);
    const k = seededTensor([1, 2, 40, 8], 2);
    const v = seededTensor([1, 2, 40, 4], 3);
    const bias = tf.variable(tf.tensor([0.3, -0.2]));
    const mod = scoreMod({
      name: 'head-bias',
      scalar: (s, _b, h) => s + [0.3, -0.2][h]!,
      tensor: (s, ctx) =>
        tf.add(s, tf.reshape(tf.slice(bias, [ctx.headStart], [ctx.headCount]), [1, ctx.headCount, 1, 1])),
    });
    const loss = (f: typeof scaledDotProductAttention) => () =>
      tf.sum(tf.square(f(q.tensor, k.tensor, v.tensor, { causal: true, scoreMod: mod }))) as tf.Scalar;
    const dense = tf.variableGrads(loss(scaledDotProductAttention));
    const chunked = tf.variableGrads(
      loss(((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, o: object) =>
        memoryEfficientAttention(a, b, c, {
          ...o,
          queryChunkSize: 7,
          keyChunkSize: 9,
        })) as typeof scaledDotProductAttention),
    );
    expectTensorsClose(chunked.value, dense.value, { rtol: 1e-4 });
    expectTensorsClose(chunked.grads[bias.name]!, dense.grads[bias.name]!, { atol: 1e-4, rtol: 1e-3 });
    tf.dispose([
      q.tensor,
      k.tensor,
      v.tensor,
      bias,
      dense.value,
      chunked.value,
      ...Object.values(dense.grads),
      ...Object.values(chunked.grads),
    ]);
  });

  it('gives q, k, v gradients equal to the dense path', () => {
    const x = seededTensor([1, 2, 20, 4], 5);
    const y = seededTensor([1, 1, 20, 4], 6);
    const f = (useChunks: boolean) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          tf.sin(
            useChunks
              ? memoryEfficientAttention(a, b, c, { causal: true, queryChunkSize: 6, keyChunkSize: 5 })
              : scaledDotProductAttention(a, b, c, { causal: true }),
          ),
        ),
      )([x.tensor, y.tensor, y.tensor]);
    const ga = f(true);
    const gb = f(false);
    ga.forEach((g, i) => {
      expectTensorsClose(g, gb[i]!, { atol: 1e-5, rtol: 1e-4 });
    });
    tf.dispose([x.tensor, y.tensor, ...ga, ...gb]);
  });

  it('leaks no tensors and rejects bad chunk sizes', () => {
    const x = seededTensor([1, 2, 50, 8], 9);
    expectNoLeaks(() =>
      memoryEfficientAttention(x.tensor, x.tensor, x.tensor, {
        causal: true,
        queryChunkSize: 16,
        keyChunkSize: 8,
      }),
    );
    expect(() => memoryEfficientAttention(x.tensor, x.tensor, x.tensor, { queryChunkSize: 0 })).toThrow(
      /`options.queryChunkSize` must be an integer ≥ 1, received 0/,
    );
    expect(() => memoryEfficientAttention(x.tensor, x.tensor, x.tensor, { keyChunkSize: 2.5 })).toThrow(
      /keyChunkSize/,
    );
    x.tensor.dispose();
  });
});
