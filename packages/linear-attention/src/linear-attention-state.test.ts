import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { eluPlusOne, type FeatureMap, favorPlus, relu } from './feature-maps.js';
import { linearAttention } from './linear-attention.js';
import {
  createLinearAttentionState,
  type LinearAttentionState,
  linearAttentionStep,
} from './linear-attention-state.js';

/** Runs the state over the sequence in blocks of the given sizes and concatenates the outputs. */
function stepThrough(
  state0: LinearAttentionState,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  blocks: number[],
): { out: tf.Tensor; state: LinearAttentionState } {
  let state = state0;
  const outs: tf.Tensor[] = [];
  let start = 0;
  for (const size of blocks) {
    const cut = (x: tf.Tensor) =>
      tf.slice(x, [0, 0, start, 0], [x.shape[0]!, x.shape[1]!, size, x.shape[3]!]);
    const [qs, ks, vs] = [cut(q), cut(k), cut(v)];
    const { output, state: next } = linearAttentionStep(state, qs, ks, vs);
    tf.dispose([qs, ks, vs]);
    state.dispose();
    state = next;
    outs.push(output);
    start += size;
  }
  const out = tf.concat(outs, 2);
  tf.dispose(outs);
  return { out, state };
}

// Same sums in another order (state vs chunked scan; FAVOR+'s running vs global key max rescales num and den
// alike): float32 rounding only.
const TOL = { atol: 2e-5, rtol: 2e-4 };

describeBackends('linearAttentionStep', () => {
  const maps: Array<[string, FeatureMap]> = [
    ['elu+1', eluPlusOne()],
    ['relu', relu()],
    ['FAVOR+', favorPlus({ numFeatures: 24, seed: 5 })],
  ];
  for (const [name, featureMap] of maps) {
    it(`token by token equals causal linearAttention (${name}), with grouped-query heads`, () => {
      const q = seededTensor([2, 4, 23, 6], 1).tensor;
      // Growing keys make FAVOR+'s running max move, exercising the rescaling of the state.
      const k = tf.tidy(() =>
        tf.mul(seededTensor([2, 2, 23, 6], 2).tensor, tf.reshape(tf.linspace(0.2, 2, 23), [1, 1, 23, 1])),
      );
      const v = seededTensor([2, 2, 23, 3], 3).tensor;
      const want = linearAttention(q, k, v, { featureMap, causal: true, chunkSize: 5 });
      const state0 = createLinearAttentionState({ batch: 2, heads: 4, headDim: 6, valueDim: 3, featureMap });
      const { out, state } = stepThrough(state0, q, k, v, new Array(23).fill(1));
      expect(state.length).toBe(23);
      expect(state.kv.shape).toEqual([2, 4, state.numFeatures, 4]);
      expectTensorsClose(out, want, TOL);
      // Prefill in uneven blocks, then decode: the same outputs again.
      const blocks = stepThrough(
        createLinearAttentionState({ batch: 2, heads: 4, headDim: 6, valueDim: 3, featureMap }),
        q,
        k,
        v,
        [7, 1, 10, 5],
      );
      expectTensorsClose(blocks.out, want, TOL);
      tf.dispose([q, k, v, want, out, blocks.out]);
      state.dispose();
      blocks.state.dispose();
    });
  }

  it('costs the same memory whatever the number of tokens seen, and leaks nothing', () => {
    const x = seededTensor([1, 2, 1, 4], 9).tensor;
    let state = createLinearAttentionState({
      batch: 1,
      heads: 2,
      headDim: 4,
      featureMap: favorPlus({ numFeatures: 8 }),
    });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const { output, state: next } = linearAttentionStep(state, x, x, x);
      output.dispose();
      state.dispose();
      state = next;
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(state.kv.shape).toEqual([1, 2, 8, 5]);
    expectNoLeaks(() => {
      const { output, state: next } = linearAttentionStep(state, x, x, x);
      return [output, next.kv, next.keyShift];
    });
    state.dispose();
    x.dispose();
  });

  it('rejects mismatched shapes, a disposed state and bad options', () => {
    const state = createLinearAttentionState({ batch: 1, heads: 2, headDim: 4 });
    const x = tf.zeros([1, 2, 3, 4]);
    expect(() => tf.tidy(() => linearAttentionStep(state, tf.zeros([1, 2, 3, 5]), x, x).output)).toThrow(
      /linearAttentionStep: `q.shape` must be a float32 tensor \[1, heads, T, 4\], received \[1, 2, 3, 5\]/,
    );
    expect(() => tf.tidy(() => linearAttentionStep(state, x, tf.zeros([1, 2, 2, 4]), x).output)).toThrow(
      /`k.shape\[2\] \(T\)` must be 3/,
    );
    expect(() => tf.tidy(() => linearAttentionStep(state, x, tf.zeros([1, 3, 3, 4]), x).output)).toThrow(
      /a divisor of the state's 2 heads/,
    );
    state.dispose();
    expect(() => linearAttentionStep(state, x, x, x)).toThrow(/`state` must be a live state/);
    expect(() => createLinearAttentionState({ batch: 1, heads: 0, headDim: 4 })).toThrow(
      /`options.heads` must be an integer ≥ 1/,
    );
    expect(() => createLinearAttentionState({ batch: 1, heads: 1, headDim: 4, seqLen: 9 } as never)).toThrow(
      /options.seqLen/,
    );
    tf.dispose(x);
  });
});
