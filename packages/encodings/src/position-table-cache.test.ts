import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { PositionTableCache } from './position-table-cache.js';
import { resolvePositions } from './positions.js';

const row = (t: tf.Tensor, r: number) => tf.tidy(() => Array.from(tf.slice(t, [r, 0], [1, 2]).dataSync()));

describeBackends('PositionTableCache', () => {
  it('serves ranges and lists from one table, grows it by doubling, and keeps it out of tf.tidy', () => {
    let filled = 0;
    const cache = new PositionTableCache(
      2,
      (p, row) => {
        filled++;
        row[0] = p;
        row[1] = -p / 2;
      },
      4,
    );
    const range = tf.tidy(() => cache.rows(resolvePositions('t', 'p', 1, 3)));
    expectTensorsClose(range, [1, -0.5, 2, -1, 3, -1.5], { atol: 0, rtol: 0 });
    expect(cache.capacity()).toBe(4);
    expect(filled).toBe(4);
    const list = cache.rows(resolvePositions('t', 'p', [9, 0], 2));
    expectTensorsClose(list, [9, -4.5, 0, 0], { atol: 0, rtol: 0 });
    expect(cache.capacity()).toBe(16); // 4 → 8 → 16 ≥ 10 rows
    expect(filled).toBe(4 + 16);
    expectNoLeaks(() => cache.rows(resolvePositions('t', 'p', 5, 11)));
    const whole = cache.rows(resolvePositions('t', 'p', 0, 16));
    expect(row(whole, 15)).toEqual([15, -7.5]);
    expect(filled).toBe(20); // served from the cache
    cache.dispose();
    expect(row(whole, 3)).toEqual([3, -1.5]); // still valid after dispose
    whole.dispose();
    tf.dispose([range, list]);
    expect(cache.capacity()).toBe(0);
    const before = tf.memory().numTensors;
    tf.dispose(cache.rows(resolvePositions('t', 'p', 0, 2)));
    expect(tf.memory().numTensors).toBe(before + 1);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
