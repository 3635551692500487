import { InvalidArgumentError } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { adaptivelySparseAttention } from './adaptively-sparse-attention.js';
import {
  entmax15Mechanism,
  entmaxAlphaFromLogit,
  entmaxAlphaMechanism,
  sparsemaxMechanism,
} from './normalizer-mechanisms.js';

const context = { seed: 0, heads: 2, headDim: 4 };
const mask = (_b: number, h: number, q: number, kv: number) => (q + kv + h) % 3 !== 0;

describeBackends('normaliser mechanisms', () => {
  it('sparsemax and entmax15 apply adaptivelySparseAttention with causal and mask passed through', () => {
    const q = seededTensor([1, 2, 12, 4], 1).tensor;
    for (const [def, normalizer] of [
      [sparsemaxMechanism, 'sparsemax'],
      [entmax15Mechanism, 'entmax15'],
    ] as const) {
      const inst = def.create({}, context);
      const out = inst.apply(q, q, q, { causal: true, mask });
      const direct = adaptivelySparseAttention(q, q, q, { normalizer, causal: true, mask });
      expectTensorsClose(out, direct, { atol: 0, rtol: 0 });
      expect(() => def.create({ alpha: 2 } as never, context)).toThrow(InvalidArgumentError);
      tf.dispose([out, direct]);
      inst.dispose();
    }
    q.dispose();
  });

  it('entmax-alpha: α = 1.01 + 0.99·σ(a) starts at initialAlpha, and the gradient reaches a by the chain rule', () => {
    const inst = entmaxAlphaMechanism.create({ initialAlpha: 1.7 }, context);
    const a = inst.params.alphaLogit!;
    const alpha = tf.tidy(() => tf.add(1.01, tf.mul(0.99, tf.sigmoid(a))));
    expectTensorsClose(alpha, [1.7, 1.7], { atol: 1e-6, rtol: 0 });
    const q = seededTensor([1, 2, 10, 4], 2).tensor;
    const w = seededTensor([1, 2, 10, 4], 3).tensor;
    const out = inst.apply(q, q, q, { causal: true });
    const direct = adaptivelySparseAttention(q, q, q, {
      normalizer: 'entmax',
      alpha,
      causal: true,
      iterations: 25,
    });
    expectTensorsClose(out, direct, { atol: 0, rtol: 0 });
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(inst.apply(q, q, q, { causal: true }), w)) as tf.Scalar,
      [a],
    );
    const dAlpha = tf.grad((al: tf.Tensor) =>
      tf.sum(
        tf.mul(adaptivelySparseAttention(q, q, q, { normalizer: 'entmax', alpha: al, causal: true }), w),
      ),
    )(alpha);
    // dα/da = 0.99·σ(a)(1 − σ(a)) with σ(a) = (1.7 − 1.01)/0.99.
    const s = 0.69 / 0.99;
    expectTensorsClose(grads[a.name]!, tf.mul(dAlpha, 0.99 * s * (1 - s)), { atol: 1e-6, rtol: 1e-4 });
    tf.dispose([alpha, q, w, out, direct, value, dAlpha, ...Object.values(grads)]);
    inst.dispose();
  });

  it('entmax-alpha rejects α outside (1.01, 2), bad iterations and unknown keys', () => {
    expect(() => entmaxAlphaMechanism.create({ initialAlpha: 1 }, context)).toThrow(/config.initialAlpha/);
    expect(() => entmaxAlphaMechanism.create({ initialAlpha: 2 }, context)).toThrow(/\(1.01, 2\)/);
    expect(() => entmaxAlphaMechanism.create({ iterations: 0 }, context)).toThrow(/config.iterations/);
    expect(() => entmaxAlphaMechanism.create({ alpha: 1.5 } as never, context)).toThrow(InvalidArgumentError);
  });

  it('entmax-alpha inspect() reports α = 1.01 + 0.99·σ(a) per head, through entmaxAlphaFromLogit', () => {
    const inst = entmaxAlphaMechanism.create({ initialAlpha: 1.3 }, context);
    const first = inst.inspect!() as { alpha: number[] };
    expectTensorsClose(first.alpha, [1.3, 1.3], { atol: 1e-6, rtol: 0 });
    inst.params.alphaLogit!.assign(tf.tensor1d([0, -2]));
    const { alpha } = inst.inspect!() as { alpha: number[] };
    expectTensorsClose(alpha, [1.01 + 0.99 / 2, 1.01 + 0.99 / (1 + Math.exp(2))], { atol: 1e-6, rtol: 0 });
    const mapped = tf.tidy(() => entmaxAlphaFromLogit(inst.params.alphaLogit!));
    expectTensorsClose(alpha, mapped, { atol: 0, rtol: 0 });
    mapped.dispose();
    expectNoLeaks(() => {
      inst.inspect!();
      return [];
    });
    inst.dispose();
  });

  it('create and dispose leave no tensors behind; the normalisers need no decoding hook (KV cache by default)', () => {
    for (const def of [sparsemaxMechanism, entmax15Mechanism, entmaxAlphaMechanism]) {
      expect(def.capabilities.supportsCrossAttention).toBe(true);
      const before = tf.memory().numTensors;
      const inst = def.create({}, context);
      expect(inst.decoding).toBeUndefined();
      inst.dispose();
      expect(tf.memory().numTensors, def.name).toBe(before);
    }
  });
});
