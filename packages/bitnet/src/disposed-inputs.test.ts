import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { fakeQuantizeActivations, quantizeActivations } from './activation-quantization.js';
import { bitLinear } from './bit-linear.js';
import { hammingAttention } from './hamming-attention.js';
import { hammingSimilarity } from './hamming-similarity.js';
import { rmsNorm } from './rms-norm.js';
import { fakeQuantizeWeights, quantizeWeights } from './weight-quantization.js';

const disposed = (name: string) =>
  new RegExp(`\`${name}\` must be a live tf.Tensor.*\`${name}\` is a disposed tensor`);

/** Issue 21: a disposed input is named, never tfjs's "Cannot read properties of undefined (reading 'backend')". */
describeBackends('disposed inputs', () => {
  it('quantizers, rmsNorm, bitLinear and Hamming attention name the disposed tensor', () => {
    const live = tf.zeros([1, 2, 4, 8]);
    const gone = tf.zeros([1, 2, 4, 8]);
    gone.dispose();
    const w = tf.ones([8, 4]);
    const goneW = tf.ones([8, 4]);
    goneW.dispose();
    expect(() => quantizeActivations(gone)).toThrow(disposed('x'));
    expect(() => fakeQuantizeActivations(gone)).toThrow(disposed('x'));
    expect(() => quantizeWeights(goneW)).toThrow(disposed('weight'));
    expect(() => fakeQuantizeWeights(goneW)).toThrow(disposed('weight'));
    expect(() => rmsNorm(gone)).toThrow(disposed('x'));
    expect(() => bitLinear(gone, w)).toThrow(disposed('x'));
    expect(() => bitLinear(live, goneW)).toThrow(disposed('weight'));
    expect(() => hammingSimilarity(live, gone)).toThrow(disposed('k'));
    expect(() => hammingAttention(live, live, gone)).toThrow(disposed('v'));
    tf.dispose([live, w]);
  });
});
