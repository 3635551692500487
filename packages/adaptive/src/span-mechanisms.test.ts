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
import { spanPenalty } from './span-penalty.js';

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
      // Checked by the option schema now (it was AdaptiveSpan's `options.rampSize` before the schema).
      expect(() => def.create({ rampSize: 0 }, context)).toThrow(/config.rampSize/);
    }
    x.dispose();
  });

  it('adaptive-span auxiliaryLoss(λ) is λ·mean(z) of its heads; λ/L per layer sums to the penalty of all L layers’ spans', () => {
    const layers = [
      adaptiveSpanMechanism.create({ maxSpan: 64, initialSpan: 3 }, context),
      adaptiveSpanMechanism.create({ maxSpan: 64, initialSpan: 3 }, context),
    ];
    layers[0]!.params.span!.assign(tf.tensor1d([2, 10]));
    layers[1]!.params.span!.assign(tf.tensor1d([30, 6]));
    const lambda = 0.5;
    // Closed form: (λ/M) Σz over one layer's M = 2 heads.
    expect(layers[0]!.auxiliaryLoss!(lambda).dataSync()[0]).toBeCloseTo((lambda / 2) * (2 + 10), 6);
    expect(layers[1]!.auxiliaryLoss!(lambda).dataSync()[0]).toBeCloseTo((lambda / 2) * (30 + 6), 6);
    // The transformer's penalty today is spanPenalty(concat of every layer's z) = λ·mean over L·M spans:
    // the per-layer hooks sum to it when each gets λ/L (each layer has the same head count).
    const all = tf.concat(layers.map((l) => l.params.span!));
    const today = spanPenalty(all, { lambda }).dataSync()[0]!;
    const summed = layers.reduce(
      (acc, l) => acc + l.auxiliaryLoss!(lambda / layers.length).dataSync()[0]!,
      0,
    );
    expect(summed).toBeCloseTo(today, 6);
    expect(today).toBeCloseTo((lambda / 4) * 48, 6);
    // The gradient reaches z: d(λ·mean z)/dz_i = λ/M.
    const { grads, value } = tf.variableGrads(
      () => layers[0]!.auxiliaryLoss!(lambda),
      [layers[0]!.params.span!],
    );
    expectTensorsClose(grads[layers[0]!.params.span!.name]!, [lambda / 2, lambda / 2], {
      atol: 1e-7,
      rtol: 0,
    });
    expectNoLeaks(() => layers[0]!.auxiliaryLoss!(lambda));
    tf.dispose([all, value, ...Object.values(grads)]);
    for (const l of layers) l.dispose();
  });

  it('adaptive-span constrain() clamps z to [0, maxSpan], and inspect() reports z per head', () => {
    const inst = adaptiveSpanMechanism.create({ maxSpan: 40, initialSpan: 4 }, context);
    expect(inst.inspect!()).toEqual({ spans: [4, 4] });
    inst.params.span!.assign(tf.tensor1d([-3, 55.5]));
    expect(inst.inspect!()).toEqual({ spans: [-3, 55.5] });
    const before = tf.memory().numTensors;
    inst.constrain!();
    expect(tf.memory().numTensors).toBe(before);
    expect(inst.inspect!()).toEqual({ spans: [0, 40] });
    inst.params.span!.assign(tf.tensor1d([12.25, 40]));
    inst.constrain!();
    expect(inst.inspect!()).toEqual({ spans: [12.25, 40] });
    inst.dispose();
  });

  it('both span mechanisms decode with a KV cache attended by the instance, causal or not', () => {
    for (const def of [adaptiveSpanMechanism, dynamicSpanMechanism]) {
      const inst = def.create({}, context);
      for (const causal of [true, false]) {
        expect(inst.decoding!({ causal, masked: false })).toEqual({ kind: 'kv-cache', attend: 'instance' });
      }
      inst.dispose();
    }
  });

  it('dynamic-span inspect() reports the span each head predicts for a zero query, S·σ(b)', () => {
    const inst = dynamicSpanMechanism.create({ maxSpan: 64, initialSpan: 16 }, context);
    const { biasSpans } = inst.inspect!() as { biasSpans: number[] };
    expectTensorsClose(biasSpans, [16, 16], { atol: 1e-4, rtol: 0 });
    inst.params.bias!.assign(tf.tensor1d([0, Math.log(3)]));
    // σ(0) = 1/2, σ(ln 3) = 3/4.
    expectTensorsClose((inst.inspect!() as { biasSpans: number[] }).biasSpans, [32, 48], {
      atol: 1e-4,
      rtol: 0,
    });
    expectNoLeaks(() => {
      inst.inspect!();
      return [];
    });
    expect(inst.auxiliaryLoss).toBeUndefined();
    expect(inst.constrain).toBeUndefined();
    inst.dispose();
  });
});
