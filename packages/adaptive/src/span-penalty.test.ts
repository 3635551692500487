import { InvalidArgumentError } from '@efficient-attention/core';
import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { spanPenalty } from './span-penalty.js';

describeBackends('spanPenalty', () => {
  it('is λ·mean(z) (the paper’s (λ/M)Σz) with gradient λ/M, or λ·Σz with gradient λ', () => {
    const z = tf.variable(tf.tensor1d([10, 30, 50, 70]));
    const mean = tf.variableGrads(() => spanPenalty(z, { lambda: 0.5 }), [z]);
    expect(mean.value.dataSync()[0]).toBeCloseTo(0.5 * 40, 5);
    expectTensorsClose(mean.grads[z.name]!, [0.125, 0.125, 0.125, 0.125], { atol: 1e-7, rtol: 0 });
    const sum = tf.variableGrads(() => spanPenalty(z, { lambda: 0.5, reduction: 'sum' }), [z]);
    expect(sum.value.dataSync()[0]).toBeCloseTo(0.5 * 160, 4);
    expectTensorsClose(sum.grads[z.name]!, [0.5, 0.5, 0.5, 0.5], { atol: 1e-7, rtol: 0 });
    tf.dispose([z, mean.value, sum.value, ...Object.values(mean.grads), ...Object.values(sum.grads)]);
  });

  it('rejects negative λ, unknown reductions and keys, and empty spans; leaks nothing', () => {
    const z = tf.tensor1d([1, 2]);
    expect(() => spanPenalty(z, { lambda: -1 })).toThrow(/`options.lambda` must be a finite number ≥ 0/);
    expect(() => spanPenalty(z, { lambda: 1, reduction: 'max' as never })).toThrow(InvalidArgumentError);
    expect(() => spanPenalty(z, { lambda: 1, lamda: 2 } as never)).toThrow(/options.lamda/);
    expect(() => spanPenalty(z, undefined as never)).toThrow(InvalidArgumentError);
    const empty = tf.zeros([0]);
    expect(() => spanPenalty(empty, { lambda: 1 })).toThrow(/non-empty float32 tensor/);
    expectNoLeaks(() => spanPenalty(z, { lambda: 2 }));
    tf.dispose([z, empty]);
  });
});
