import { InvalidArgumentError } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { DynamicSpan } from './dynamic-span.js';
import { trimmedSpan } from './span-ramp.js';
import { rampScore64 } from './test-support/float64.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** z = S·σ(v_h · x_t + b_h) in float64, row-major [batch, heads, seq]. */
function spans64(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number>,
  shape: number[],
  maxSpan: number,
) {
  const [batch, heads, seq, dim] = shape as [number, number, number, number];
  const out = new Float64Array(batch * heads * seq);
  for (let bi = 0; bi < batch; bi++)
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < seq; t++) {
        let dot = b[h]!;
        for (let c = 0; c < dim; c++) dot += w[h * dim + c]! * x[((bi * heads + h) * seq + t) * dim + c]!;
        out[(bi * heads + h) * seq + t] = maxSpan * sigmoid(dot);
      }
  return out;
}

describeBackends('DynamicSpan', () => {
  it('predicts z_t = S·σ(vᵀx_t + b) (float64 check), starting from initialSpan at x = 0', () => {
    const dyn = new DynamicSpan({ heads: 2, inputDim: 6, maxSpan: 64, initialSpan: 16, seed: 3 });
    const x = seededTensor([2, 2, 5, 6], 1);
    const z = dyn.predict(x.tensor);
    expect(z.shape).toEqual([2, 2, 5, 1]);
    const expected = spans64(x.data, dyn.weights.dataSync(), dyn.bias.dataSync(), [2, 2, 5, 6], 64);
    expectTensorsClose(z, expected, { atol: 1e-4, rtol: 1e-5 });
    const zero = tf.zeros([1, 2, 1, 6]);
    const z0 = dyn.predict(zero);
    expectTensorsClose(z0, [16, 16], { atol: 1e-4, rtol: 0 });
    tf.dispose([x.tensor, z, zero, z0]);
    dyn.dispose();
  });

  it('gives different inputs different spans, and so different trimmed windows', () => {
    const dyn = new DynamicSpan({ heads: 1, inputDim: 8, maxSpan: 256, initialSpan: 32, seed: 1 });
    const a = seededTensor([1, 1, 16, 8], 10, 0.2); // low-energy input: spans near 32
    const w = tf.reshape(dyn.weights, [1, 1, 1, 8]);
    const b = tf.mul(w, 3); // input aligned with v: larger spans
    const za = dyn.predict(a.tensor).dataSync();
    const zb = dyn.predict(tf.tile(b, [1, 1, 16, 1])).dataSync();
    expect(Math.max(...za)).toBeLessThan(Math.min(...zb));
    const wa = Math.max(...trimmedSpan(za, { rampSize: 32, maxSpan: 256 }));
    const wb = Math.max(...trimmedSpan(zb, { rampSize: 32, maxSpan: 256 }));
    expect(wa).toBeLessThan(wb);
    // Within one input, positions differ too.
    expect(new Set(Array.from(za, (s) => s.toFixed(3))).size).toBeGreaterThan(8);
    tf.dispose([a.tensor, w, b]);
    dyn.dispose();
  });

  it('attends like the float64 reference with per-query spans, block-sparse and dense', () => {
    const dyn = new DynamicSpan({ heads: 2, inputDim: 8, rampSize: 3, maxSpan: 20, initialSpan: 5, seed: 7 });
    const q = seededTensor([1, 2, 36, 8], 2);
    const k = seededTensor([1, 2, 36, 8], 3);
    const v = seededTensor([1, 2, 36, 8], 4);
    const z = spans64(q.data, dyn.weights.dataSync(), dyn.bias.dataSync(), [1, 2, 36, 8], 20);
    for (const causal of [true, false]) {
      const ref = referenceAttention(
        {
          q: q.data,
          k: k.data,
          v: v.data,
          batch: 1,
          heads: 2,
          kvHeads: 2,
          qLen: 36,
          kvLen: 36,
          headDim: 8,
          valueDim: 8,
        },
        { causal, scoreMod: (s, _b, h, i, j) => rampScore64(s, Math.abs(i - j), z[h * 36 + i]!, 3, 20) },
      );
      for (const execution of ['block-sparse', 'dense'] as const) {
        const out = dyn.attention(q.tensor, k.tensor, v.tensor, { causal, execution, blockSize: 8 });
        // float32 spans (σ, a dot of 8) and attention vs float64.
        expectTensorsClose(out, ref.output, { atol: 5e-5, rtol: 5e-4 });
        out.dispose();
      }
    }
    tf.dispose([q.tensor, k.tensor, v.tensor]);
    dyn.dispose();
  });

  it('passes gradients to v and b equal to finite differences of the float64 reference', () => {
    const dyn = new DynamicSpan({
      heads: 2,
      inputDim: 3,
      rampSize: 4,
      maxSpan: 12,
      initialSpan: 4,
      seed: 11,
    });
    const q = seededTensor([1, 2, 16, 3], 5);
    const k = seededTensor([1, 2, 16, 3], 6);
    const v = seededTensor([1, 2, 16, 2], 7);
    const w = seededTensor([1, 2, 16, 2], 8);
    const params = Float64Array.from([...dyn.weights.dataSync(), ...dyn.bias.dataSync()]);
    const loss64 = (p: Float64Array) => {
      const z = spans64(q.data, p.subarray(0, 6), p.subarray(6), [1, 2, 16, 3], 12);
      return referenceAttention(
        {
          q: q.data,
          k: k.data,
          v: v.data,
          batch: 1,
          heads: 2,
          kvHeads: 2,
          qLen: 16,
          kvLen: 16,
          headDim: 3,
          valueDim: 2,
        },
        { causal: true, scoreMod: (s, _b, h, i, j) => rampScore64(s, i - j, z[h * 16 + i]!, 4, 12) },
      ).output.reduce((a, o, i) => a + o * w.data[i]!, 0);
    };
    const expected = finiteDifferenceGradient(loss64, params, 1e-6);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.sum(
          tf.mul(dyn.attention(q.tensor, k.tensor, v.tensor, { causal: true, blockSize: 4 }), w.tensor),
        ) as tf.Scalar,
      [dyn.weights, dyn.bias],
    );
    const got = [...grads[dyn.weights.name]!.dataSync(), ...grads[dyn.bias.name]!.dataSync()];
    // float32 autodiff through σ and the ramp vs float64 central differences.
    expectTensorsClose(got, expected, { atol: 2e-4, rtol: 3e-3 });
    expect(Math.max(...Array.from(expected, Math.abs))).toBeGreaterThan(1e-3);
    tf.dispose([q.tensor, k.tensor, v.tensor, w.tensor, value, ...Object.values(grads)]);
    dyn.dispose();
  });

  it('leaves no tensors behind after construction and dispose()', () => {
    expectNoLeaks(() => {
      new DynamicSpan({ heads: 2, inputDim: 4, rampSize: 2, maxSpan: 16, initialSpan: 4 }).dispose();
    });
  });

  it('uses options.input instead of q when given, and leaks no tensors', () => {
    const dyn = new DynamicSpan({ heads: 2, inputDim: 5, rampSize: 2, maxSpan: 16, initialSpan: 3, seed: 2 });
    const q = seededTensor([1, 2, 12, 4], 21).tensor;
    const x = seededTensor([1, 2, 12, 5], 22).tensor;
    expectNoLeaks(() => dyn.attention(q, q, q, { input: x, blockSize: 4 }));
    expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(dyn.attention(q, q, q, { input: x, causal: true, blockSize: 4 })) as tf.Scalar,
      );
      return [value, ...Object.values(grads)];
    });
    // q has 4 features, the predictor 5: predicting from q must fail with the expected shape.
    expect(() => dyn.attention(q, q, q)).toThrow(/`x.shape` must be \[batch, 2, seq, 5\]/);
    tf.dispose([q, x]);
    dyn.dispose();
  });

  it('rejects bad options', () => {
    expect(() => new DynamicSpan({ heads: 2, inputDim: 4, maxSpan: 16, initialSpan: 16 })).toThrow(
      /< maxSpan \(16\)/,
    );
    expect(() => new DynamicSpan({ heads: 2, inputDim: 4, initialSpan: 0 })).toThrow(/options.initialSpan/);
    expect(() => new DynamicSpan({ heads: 2, inputDim: 4, rampSize: -1 })).toThrow(InvalidArgumentError);
    expect(() => new DynamicSpan({ heads: 2, inputDim: 0 })).toThrow(/options.inputDim/);
    expect(() => new DynamicSpan({ heads: 2, inputDim: 4, seed: 0.5 })).toThrow(/options.seed/);
    expect(() => new DynamicSpan({ heads: 2, inputDim: 4, bias: 1 } as never)).toThrow(/options.bias/);
  });
});
