import {
  IncompatibleOptionsError,
  InvalidArgumentError,
  scaledDotProductAttention,
} from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { DynamicSpan } from './dynamic-span.js';
import { spanAttention } from './span-attention.js';
import { adaptiveSpanMechanism, dynamicSpanMechanism } from './span-mechanisms.js';

const context = { seed: 4, heads: 2, headDim: 8 };

describeBackends('span mechanisms', () => {
  it('adaptive-span: apply is spanAttention over params.span, and equals its dense equivalent for a KV cache (qLen < kvLen)', () => {
    const inst = adaptiveSpanMechanism.create(
      { maxSpan: 48, rampSize: 6, initialSpan: 5, blockSize: 8 },
      context,
    );
    inst.params.span!.assign(tf.tensor1d([3.5, 12]));
    const q = seededTensor([1, 2, 10, 8], 1).tensor;
    const k = seededTensor([1, 2, 30, 8], 2).tensor;
    const v = seededTensor([1, 2, 30, 8], 3).tensor;
    const out = inst.apply(q, k, v, { causal: true });
    const direct = spanAttention(q, k, v, inst.params.span!, {
      causal: true,
      maxSpan: 48,
      rampSize: 6,
      blockSize: 8,
    });
    const dense = scaledDotProductAttention(
      q,
      k,
      v,
      inst.denseEquivalent!({ causal: true }, { qLen: 10, kvLen: 30 }),
    );
    expectTensorsClose(out, direct, { atol: 0, rtol: 0 });
    // Block-sparse vs dense summation order only.
    expectTensorsClose(out, dense, { atol: 1e-5, rtol: 1e-4 });
    tf.dispose([q, k, v, out, direct, dense]);
    inst.dispose();
  });

  it('dynamic-span: apply predicts spans from q with weights seeded by the context seed', () => {
    const inst = dynamicSpanMechanism.create(
      { maxSpan: 32, rampSize: 4, initialSpan: 6, blockSize: 8 },
      context,
    );
    const same = new DynamicSpan({
      heads: 2,
      inputDim: 8,
      maxSpan: 32,
      rampSize: 4,
      initialSpan: 6,
      seed: 4,
    });
    expect(Object.keys(inst.params).sort()).toEqual(['bias', 'weights']);
    expectTensorsClose(inst.params.weights!, same.weights, { atol: 0, rtol: 0 });
    const q = seededTensor([1, 2, 24, 8], 5).tensor;
    const out = inst.apply(q, q, q, { causal: true });
    const direct = same.attention(q, q, q, { causal: true, blockSize: 8 });
    expectTensorsClose(out, direct, { atol: 0, rtol: 0 });
    expectNoLeaks(() => inst.apply(q, q, q));
    tf.dispose([q, out, direct]);
    inst.dispose();
    same.dispose();
  });

  it('refuses masks, score modifiers and bad configs with errors that say why', () => {
    const x = tf.zeros([1, 2, 8, 8]);
    for (const def of [adaptiveSpanMechanism, dynamicSpanMechanism]) {
      const inst = def.create({}, context);
      expect(() => inst.apply(x, x, x, { mask: () => true })).toThrow(IncompatibleOptionsError);
      expect(() => inst.apply(x, x, x, { mask: () => true })).toThrow(/learned span mask decides which keys/);
      expect(() => inst.apply(x, x, x, { causl: true } as never)).toThrow(/options.causl/);
      inst.dispose();
      expect(() => def.create({ maxSpn: 4 } as never, context)).toThrow(/config|options.maxSpn/);
      expect(() => def.create({ blockSize: 0 }, context)).toThrow(InvalidArgumentError);
      expect(() => def.create({ execution: 'fast' as never }, context)).toThrow(/config.execution/);
      expect(() => def.create({ rampSize: 0 }, context)).toThrow(/options.rampSize/);
    }
    x.dispose();
  });
});
