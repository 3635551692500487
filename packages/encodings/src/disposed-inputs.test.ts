import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { learnedPosition } from './learned-position.js';
import { rope } from './rope.js';
import { sinusoidal } from './sinusoidal.js';

/** Issue 21: a disposed input is named, never tfjs's "Cannot read properties of undefined (reading 'backend')". */
describeBackends('disposed inputs', () => {
  it('rope.apply / rotate and additive apply name the disposed tensor', () => {
    const live = tf.zeros([1, 2, 4, 8]);
    const gone = tf.zeros([1, 2, 4, 8]);
    gone.dispose();
    const enc = rope({ headDim: 8 });
    const disposed = (name: string) =>
      new RegExp(`\`${name}\` must be a live tf.Tensor.*\`${name}\` is a disposed tensor`);
    expect(() => enc.rotate(gone)).toThrow(disposed('x'));
    expect(() => enc.apply(live, gone)).toThrow(disposed('k'));
    const x = tf.zeros([1, 4, 8]);
    x.dispose();
    for (const additive of [sinusoidal({ dim: 8 }), learnedPosition({ dim: 8, maxLength: 8, seed: 0 })]) {
      expect(() => additive.apply(x)).toThrow(disposed('x'));
      additive.dispose();
    }
    enc.dispose();
    live.dispose();
  });
});
