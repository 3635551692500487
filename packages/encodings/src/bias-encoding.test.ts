import { InvalidArgumentError, memoryEfficientAttention } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { type BiasBlock, biasEncoding } from './bias-encoding.js';

/** A toy bias that encodes its coordinates: h + 0.1·q − 0.01·kv (q already includes the query offset). */
const toy = (h: number, q: number, kv: number) => h + 0.1 * q - 0.01 * kv;

describeBackends('biasEncoding', () => {
  const blocks: BiasBlock[] = [];
  const enc = biasEncoding({
    fn: 'toy',
    name: 'toy',
    heads: 3,
    variables: {},
    block: (b) => {
      blocks.push(b);
      const values: number[] = [];
      for (let h = 0; h < b.headCount; h++)
        for (let i = 0; i < b.rows; i++)
          for (let j = 0; j < b.cols; j++) values.push(toy(b.headStart + h, b.qStart + i, b.kvStart + j));
      return tf.tensor3d(values, [b.headCount, b.rows, b.cols]);
    },
    scalar: toy,
    dispose: () => {},
  });

  it('bias(qLen, kvLen) is one block over every head, shifted by queryOffset', () => {
    blocks.length = 0;
    const b = enc.bias(2, 3, { queryOffset: 5 });
    expect(blocks).toEqual([{ qStart: 5, rows: 2, kvStart: 0, cols: 3, headStart: 0, headCount: 3 }]);
    expect(b.shape).toEqual([3, 2, 3]);
    b.dispose();
  });

  it('hands each attention score block its own coordinates: chunked attention equals the float64 reference', () => {
    const q = seededTensor([2, 3, 7, 2], 1);
    const k = seededTensor([2, 3, 5, 2], 2);
    const v = seededTensor([2, 3, 5, 2], 3);
    const mod = enc.scoreMod({ queryOffset: 2 });
    const out = memoryEfficientAttention(q.tensor, k.tensor, v.tensor, {
      scoreMod: mod,
      queryChunkSize: 3,
      keyChunkSize: 2,
    });
    const reference = referenceAttention(
      {
        q: q.data,
        k: k.data,
        v: v.data,
        batch: 2,
        heads: 3,
        kvHeads: 3,
        qLen: 7,
        kvLen: 5,
        headDim: 2,
        valueDim: 2,
      },
      { scoreMod: (s, _b, h, i, j) => s + toy(h, i + 2, j) },
    );
    // Float32 attention vs float64: default tolerance.
    expectTensorsClose(out, reference.output);
    expect(mod.scalar(1, 0, 2, 3, 4)).toBeCloseTo(1 + toy(2, 5, 4), 12);
    expect(mod.name).toBe('toy');
    expectNoLeaks(() =>
      memoryEfficientAttention(q.tensor, k.tensor, v.tensor, { scoreMod: mod, keyChunkSize: 2 }),
    );
    tf.dispose([q.tensor, k.tensor, v.tensor, out]);
  });

  it('refuses heads it does not have, in both forms', () => {
    const q = tf.ones([1, 4, 2, 2]);
    expect(() => memoryEfficientAttention(q, q, q, { scoreMod: enc.scoreMod() })).toThrow(
      /the encoding has 3/,
    );
    expect(() => enc.scoreMod().scalar(0, 0, 3, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => enc.bias(2, 2, { queryOffset: Number.NaN })).toThrow(/queryOffset/);
    q.dispose();
  });
});
