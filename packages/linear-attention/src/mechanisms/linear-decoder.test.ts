import { InvalidArgumentError, type MechanismDefinition } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { eluPlusOne } from '../feature-maps.js';
import { createLinearAttentionDecoder } from './linear-decoder.js';
import { linearEluMechanism, linearReluMechanism, performerMechanism } from './linear-mechanisms.js';

const context = { seed: 5, heads: 4, headDim: 8 };
const token = (x: tf.Tensor, t: number) => tf.slice(x, [0, 0, t, 0], [-1, -1, 1, -1]) as tf.Tensor4D;

/**
 * Decodes `n` tokens one step at a time (each step inside its own tf.tidy, as a model's decoding loop does)
 * and returns them concatenated along the sequence, the causal forward, and the tensors left behind.
 */
function decodeAll(
  def: MechanismDefinition,
  config: object,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
): { full: tf.Tensor; steps: tf.Tensor; leaked: number; length: number } {
  const inst = def.create(config, context);
  const full = inst.apply(q, k, v, { causal: true });
  const before = tf.memory().numTensors;
  const plan = inst.decoding!({ causal: true, masked: false });
  if (plan.kind !== 'recurrent') throw new Error(`${def.name}: expected a recurrent plan, got ${plan.kind}`);
  // Created inside a scope, as a model's decoding loop may: the state must outlive it.
  tf.engine().startScope();
  const decoder = plan.createDecoder({ batch: q.shape[0]!, heads: context.heads, headDim: context.headDim });
  tf.engine().endScope();
  const outputs: tf.Tensor[] = [];
  for (let t = 0; t < q.shape[2]!; t++) {
    outputs.push(tf.tidy(() => decoder.step(token(q, t), token(k, t), token(v, t))));
  }
  const length = decoder.length;
  const steps = tf.concat(outputs, 2);
  tf.dispose(outputs);
  decoder.dispose();
  decoder.dispose(); // idempotent
  inst.dispose();
  // Only `steps` is new since before the decoder existed.
  return { full, steps, leaked: tf.memory().numTensors - before - 1, length };
}

describeBackends('recurrent decoding of the linear mechanisms', () => {
  for (const [def, config] of [
    [linearEluMechanism, {}],
    [linearReluMechanism, {}],
    [performerMechanism, { numFeatures: 16 }],
    [performerMechanism, {}],
    [performerMechanism, { numFeatures: 12, stabilize: false, orthogonal: false, redraw: 2 }],
  ] as const) {
    it(`${def.name} ${JSON.stringify(config)}: step by step equals the causal forward, and frees its state`, () => {
      const q = seededTensor([2, 4, 11, 8], 1, 0.5).tensor;
      const k = seededTensor([2, 4, 11, 8], 2, 0.5).tensor;
      const v = seededTensor([2, 4, 11, 8], 3).tensor;
      const { full, steps, leaked, length } = decodeAll(def, config, q, k, v);
      expect(length).toBe(11);
      // Two float32 summation orders (chunked prefix sums vs a running state).
      expectTensorsClose(steps, full, { atol: 1e-5, rtol: 1e-5 });
      // The state's kept tensors are gone.
      expect(leaked).toBe(0);
      tf.dispose([q, k, v, full, steps]);
    });
  }

  it('grouped-query keys and values (fewer kv heads) decode like the forward', () => {
    const q = seededTensor([1, 4, 7, 8], 4, 0.5).tensor;
    const k = seededTensor([1, 2, 7, 8], 5, 0.5).tensor;
    const v = seededTensor([1, 2, 7, 8], 6).tensor;
    const { full, steps, leaked } = decodeAll(performerMechanism, { numFeatures: 16 }, q, k, v);
    expectTensorsClose(steps, full, { atol: 1e-5, rtol: 1e-5 });
    expect(leaked).toBe(0);
    tf.dispose([q, k, v, full, steps]);
  });

  it('a step leaks nothing but its output; non-causal layers recompute', () => {
    for (const def of [linearEluMechanism, linearReluMechanism, performerMechanism]) {
      const inst = def.create({}, context);
      expect(inst.decoding!({ causal: false, masked: false })).toEqual({ kind: 'recompute' });
      const plan = inst.decoding!({ causal: true, masked: false });
      if (plan.kind !== 'recurrent') throw new Error('expected a recurrent plan');
      const decoder = plan.createDecoder({ batch: 1, heads: 4, headDim: 8 });
      const x = seededTensor([1, 4, 1, 8], 7).tensor as tf.Tensor4D;
      decoder.step(x, x, x).dispose(); // the first step replaces the initial state
      expectNoLeaks(() => decoder.step(x, x, x));
      expect(decoder.length).toBe(2);
      expect(() => plan.createDecoder({ batch: 1, heads: 4, headDim: 16 })).toThrow(
        /`shape.headDim` must be 8 \(the context.headDim the mechanism was created with\), received 16/,
      );
      decoder.dispose();
      expect(() => decoder.step(x, x, x)).toThrow(/a live decoder/);
      x.dispose();
      inst.dispose();
    }
  });

  it('createLinearAttentionDecoder validates its options', () => {
    expect(() => createLinearAttentionDecoder(null as never)).toThrow(InvalidArgumentError);
    expect(() =>
      createLinearAttentionDecoder({ featureMap: eluPlusOne(), batch: 0, heads: 1, headDim: 4 }),
    ).toThrow(/`options.batch`/);
    expect(() =>
      createLinearAttentionDecoder({
        featureMap: eluPlusOne(),
        batch: 1,
        heads: 1,
        headDim: 4,
        window: 2,
      } as never),
    ).toThrow(/`options.window`/);
  });
});
