import { describeBackends, expectNoLeaks } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { andMasks } from './combinators/and-masks.js';
import { createBlockMask } from './create-block-mask.js';
import { createMask } from './create-mask.js';
import { causal } from './patterns/causal.js';
import { randomPattern } from './patterns/random-pattern.js';
import { slidingWindow } from './patterns/sliding-window.js';

describeBackends('BlockMask', () => {
  it('reports sparsity, allowed pairs and its layout as text', () => {
    // Radius 2, blocks of 2 over 8 positions: query block r reaches key blocks r − 1 … r + 1, so the
    // visited blocks per row are 2, 3, 3, 2 = 10 of 16 (sparsity 6/16); the window holds 8 + 2·7 + 2·6 pairs.
    const mask = createBlockMask(slidingWindow({ radius: 2 }), 8, 8, { blockSize: 2 });
    expect(mask.sparsity()).toBe(6 / 16);
    expect(mask.allowedPairs()).toBe(8 + 2 * 7 + 2 * 6);
    expect(mask.toString()).toBe(
      [
        'BlockMask(slidingWindow(before=2, after=2); qLen=8, kvLen=8, blockSize=2, batch=1, heads=1, sparsity=37.5%)',
        '█░··',
        '░█░·',
        '·░█░',
        '··░█',
      ].join('\n'),
    );
  });

  it('toDense() equals createMask() and allows() reads single pairs', () => {
    const mod = andMasks(
      causal({ qLen: 29, kvLen: 37 }),
      randomPattern({ kvLen: 37, perRow: 9, seed: 4, perHead: true }),
    );
    const mask = createBlockMask(mod, 29, 37, { blockSize: 5, heads: 2 });
    const dense = mask.toDense();
    const reference = createMask(mod, 29, 37, { heads: 2 });
    expect(Array.from(dense.dataSync())).toEqual(Array.from(reference.dataSync()));
    expect(mask.allows(0, 1, 28, 3)).toBe(mod(0, 1, 28, 3));
    expect(mask.allows(0, 0, 29, 0)).toBe(false);
    tf.dispose([dense, reference]);
    expect(mask.toString().split('\n')).toHaveLength(1 + 2 * (1 + 6));
  });

  it('toTensors() gives int32 tensors with the documented shapes and the same values', () => {
    const mask = createBlockMask(slidingWindow({ radius: 40 }), 100, 90, { blockSize: 33 });
    const t = mask.toTensors();
    expect(t.kvNumBlocks.shape).toEqual([1, 1, 4]);
    expect(t.kvIndices.shape).toEqual([1, 1, 4, mask.maxKvBlocks]);
    expect(t.fullKvIndices.shape).toEqual([1, 1, 4, mask.maxFullKvBlocks]);
    expect(t.partialMasks.shape).toEqual([mask.numPartialBlocks, 33, 2]);
    expect(t.partialMaskOffsets.shape).toEqual([1, 1, 4]);
    for (const x of Object.values(t)) expect(x.dtype).toBe('int32');
    expect(Array.from(t.partialMasks.dataSync())).toEqual(Array.from(mask.partialMasks));
    expect(Array.from(t.kvIndices.dataSync())).toEqual(Array.from(mask.kvIndices));
    tf.dispose(Object.values(t));
    expectNoLeaks(() => Object.values(mask.toTensors()));
    // A mask without partial blocks still has one (all-zero) bitmask: no empty tensors.
    const blocky = createBlockMask(causal(), 8, 8, { blockSize: 1 });
    expect(blocky.numPartialBlocks).toBe(0);
    const bt = blocky.toTensors();
    expect(bt.partialMasks.shape).toEqual([1, 1, 1]);
    tf.dispose(Object.values(bt));
  });

  it('refuses inputs it was not built for, saying what to do', () => {
    const mask = createBlockMask(causal(), 1024, 1024, { blockSize: 256 });
    const dims = { batch: 1, heads: 1, kvHeads: 1, qLen: 1024, kvLen: 2048, headDim: 8, valueDim: 8 };
    expect(() => mask.assertFits('f', dims)).toThrow(
      /built for 1024 keys, the keys have 2048: build a new one/,
    );
    expect(() => mask.assertFits('f', { ...dims, kvLen: 1024, qLen: 512 })).toThrow(
      /built for 1024 queries, the queries have 512/,
    );
    const perHead = createBlockMask(randomPattern({ kvLen: 8, perRow: 2, perHead: true }), 8, 8, {
      heads: 2,
    });
    expect(() => perHead.assertFits('f', { ...dims, qLen: 8, kvLen: 8, heads: 4 })).toThrow(
      /built for 2 heads, the queries have 4/,
    );
  });
});
