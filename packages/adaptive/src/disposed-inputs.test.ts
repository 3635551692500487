import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { adaptivelySparseAttention } from './adaptively-sparse-attention.js';
import { DynamicSpan } from './dynamic-span.js';
import { entmaxBisect } from './entmax-bisect.js';
import { entmax15 } from './entmax15.js';
import { spanAttention } from './span-attention.js';
import { spanPenalty } from './span-penalty.js';
import { spanRampScoreMod } from './span-ramp.js';
import { sparsemax } from './sparsemax.js';

const disposed = (name: string) =>
  new RegExp(`\`${name}\` must be a live tf.Tensor.*\`${name}\` is a disposed tensor`);

/** Issue 21: a disposed input is named, never tfjs's "Cannot read properties of undefined (reading 'backend')". */
describeBackends('disposed inputs', () => {
  it('normalizers, attention functions, spans and α name the disposed tensor', () => {
    const live = tf.zeros([1, 2, 4, 8]);
    const gone = tf.zeros([1, 2, 4, 8]);
    gone.dispose();
    const spans = tf.tensor1d([2, 3]);
    const goneSpans = tf.tensor1d([2, 3]);
    goneSpans.dispose();
    const alpha = tf.scalar(1.5);
    alpha.dispose();
    expect(() => sparsemax(gone)).toThrow(disposed('logits'));
    expect(() => entmax15(gone)).toThrow(disposed('logits'));
    expect(() => entmaxBisect(live, { alpha })).toThrow(disposed('options.alpha'));
    expect(() => adaptivelySparseAttention(live, gone, live)).toThrow(disposed('k'));
    expect(() => spanAttention(live, live, gone, spans, { rampSize: 2, maxSpan: 4 })).toThrow(disposed('v'));
    expect(() => spanAttention(live, live, live, goneSpans, { rampSize: 2, maxSpan: 4 })).toThrow(
      disposed('spans'),
    );
    expect(() => spanRampScoreMod(goneSpans, { rampSize: 2, maxSpan: 4 })).toThrow(disposed('spans'));
    expect(() => spanPenalty(goneSpans, { lambda: 1 })).toThrow(disposed('spans'));
    const dyn = new DynamicSpan({ heads: 2, inputDim: 8, rampSize: 2, maxSpan: 4, initialSpan: 2, seed: 1 });
    expect(() => dyn.predict(gone)).toThrow(disposed('x'));
    dyn.dispose();
    tf.dispose([live, spans]);
  });
});
