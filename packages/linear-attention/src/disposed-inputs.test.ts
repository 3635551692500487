import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { iterativePseudoInverse } from './iterative-pseudo-inverse.js';
import { linearAttention } from './linear-attention.js';
import { createLinearAttentionState, linearAttentionStep } from './linear-attention-state.js';
import { createLinformerProjections, linformerAttention } from './linformer.js';
import { lshAttention } from './lsh-attention.js';
import { nystromAttention } from './nystrom-attention.js';

const disposed = (name: string) =>
  new RegExp(`\`${name}\` must be a live tf.Tensor.*\`${name}\` is a disposed tensor`);

/** Issue 21: a disposed input is named, never tfjs's "Cannot read properties of undefined (reading 'backend')". */
describeBackends('disposed inputs', () => {
  it('every attention function, the decoding step and the pseudo-inverse name the disposed tensor', () => {
    const live = tf.zeros([1, 2, 8, 4]);
    const gone = tf.zeros([1, 2, 8, 4]);
    gone.dispose();
    expect(() => linearAttention(gone, live, live)).toThrow(disposed('q'));
    expect(() => nystromAttention(live, gone, live, { numLandmarks: 4 })).toThrow(disposed('k'));
    expect(() => lshAttention(live, live, gone)).toThrow(disposed('v'));
    const projections = createLinformerProjections({ seqLen: 8, projectedLength: 4 });
    expect(() => linformerAttention(gone, live, live, projections)).toThrow(disposed('q'));
    projections.dispose();
    const state = createLinearAttentionState({ batch: 1, heads: 2, headDim: 4 });
    const token = tf.zeros([1, 2, 1, 4]);
    const goneToken = tf.zeros([1, 2, 1, 4]);
    goneToken.dispose();
    expect(() => linearAttentionStep(state, token, goneToken, token)).toThrow(disposed('k'));
    state.dispose();
    const a = tf.eye(4);
    a.dispose();
    expect(() => iterativePseudoInverse(a)).toThrow(disposed('a'));
    tf.dispose([live, token]);
  });
});
