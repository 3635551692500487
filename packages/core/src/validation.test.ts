import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { scaledDotProductAttention } from './scaled-dot-product-attention.js';
import { assertKnownOptions, assertNumber, validateAttentionInputs } from './validation.js';

describe('validation helpers', () => {
  it('assertKnownOptions names the unknown key with its path', () => {
    expect(() => assertKnownOptions('rope', { bse: 1 }, ['base'])).toThrow(
      /rope: `options.bse` must be one of the known options \(base\), received "bse"/,
    );
    expect(() => assertKnownOptions('rope', { factr: 2 }, ['factor'], 'options.scaling')).toThrow(
      /`options.scaling.factr`/,
    );
    expect(() => assertKnownOptions('rope', 3 as unknown as object, ['base'])).toThrow(
      /`options` must be an options object, received 3/,
    );
    expect(() => assertKnownOptions('rope', { base: 1 }, ['base'])).not.toThrow();
  });

  it('assertNumber checks finiteness, integrality and bounds', () => {
    expect(() => assertNumber('f', 'n', 2.5, { integer: true })).toThrow(
      /`n` must be an integer, received 2.5/,
    );
    expect(() => assertNumber('f', 'n', 0, { positive: true })).toThrow(/> 0, received 0/);
    expect(() => assertNumber('f', 'n', Number.POSITIVE_INFINITY)).toThrow(
      /finite number, received Infinity/,
    );
    expect(() => assertNumber('f', 'n', 9, { max: 8 })).toThrow(/≤ 8, received 9/);
    expect(() => assertNumber('f', 'n', '3')).toThrow(/received "3"/);
    expect(() => assertNumber('f', 'n', 3, { integer: true, min: 1, max: 8 })).not.toThrow();
    // An open interval rejects its endpoints (entmax's α in (1.01, 2)) and says so.
    expect(() => assertNumber('f', 'n', 2, { min: 1.01, max: 2, exclusive: true })).toThrow(
      /`n` must be a finite number in the open interval \(1.01, 2\), received 2/,
    );
    expect(() => assertNumber('f', 'n', 1.01, { min: 1.01, exclusive: true })).toThrow(
      /> 1.01, received 1.01/,
    );
    expect(() => assertNumber('f', 'n', 1.5, { min: 1.01, max: 2, exclusive: true })).not.toThrow();
  });

  it('names a disposed attention input instead of failing inside tfjs (issue 21)', () => {
    const live = tf.zeros([1, 1, 4, 8]);
    const disposed = tf.zeros([1, 1, 4, 8]);
    disposed.dispose();
    expect(() => validateAttentionInputs('f', live, disposed, live)).toThrow(
      /f: `k` must be a live tf.Tensor, received a float32 tensor of shape \[1, 1, 4, 8\]\. `k` is a disposed tensor/,
    );
    expect(() => scaledDotProductAttention(disposed, live, live)).toThrow(
      /scaledDotProductAttention: `q` must be a live tf.Tensor.*`q` is a disposed tensor/,
    );
    // A kernel's TensorInfo has no isDisposed: it passes on to the shape rules.
    const info = { dataId: {}, shape: [1, 1, 4, 8], dtype: 'float32' };
    expect(validateAttentionInputs('f', info, info, info).qLen).toBe(4);
    live.dispose();
  });
});
