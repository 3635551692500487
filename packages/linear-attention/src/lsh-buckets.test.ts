import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { lshBuckets, lshRotations, sortByBucket } from './lsh-buckets.js';

describeBackends('angular LSH', () => {
  it('hashes by direction: argmax of [xR; −xR], invariant to positive scaling, antipodes in opposite buckets', () => {
    const [r] = lshRotations(3, 4, 1, 7);
    const x = tf.tensor2d([
      [1, 2, 3],
      [2, 4, 6],
      [-1, -2, -3],
      [0.5, -1, 0.2],
    ]);
    const b = lshBuckets(x, r!, 4);
    // Independent float64 argmax over the 4 rotated coordinates [xR, −xR].
    const rows = [
      [1, 2, 3],
      [0.5, -1, 0.2],
    ];
    const want = rows.map((row) => {
      const proj = [0, 1].map((c) => row.reduce((s, v, t) => s + v * r![t * 2 + c]!, 0));
      const all = [...proj, ...proj.map((p) => -p)];
      return all.indexOf(Math.max(...all));
    });
    expect([b[0], b[3]]).toEqual(want);
    expect(b[1]).toBe(b[0]);
    expect(b[2]).toBe((b[0]! + 2) % 4);
    expect(Array.from(lshBuckets(x, new Float32Array(0), 1))).toEqual([0, 0, 0, 0]);
    x.dispose();
  });

  it('puts near directions together far more often than far ones (the LSH property)', () => {
    // 200 rotations of 8 buckets: a pair at 10° shares a bucket far more often than a pair at 90°.
    const x = tf.tensor2d([
      [1, 0],
      [Math.cos(0.17), Math.sin(0.17)],
      [0, 1],
    ]);
    let near = 0;
    let far = 0;
    for (const r of lshRotations(2, 8, 200, 3)) {
      const b = lshBuckets(x, r, 8);
      if (b[0] === b[1]) near++;
      if (b[0] === b[2]) far++;
    }
    expect(near).toBeGreaterThan(120);
    expect(far).toBeLessThan(60);
    x.dispose();
  });

  it('sorts by (bucket, position) stably, and seeds its rotations', () => {
    expect(Array.from(sortByBucket(Int32Array.from([1, 0, 1, 0, 2]), 3))).toEqual([1, 3, 0, 2, 4]);
    expect(lshRotations(4, 6, 2, 1)).toEqual(lshRotations(4, 6, 2, 1));
    expect(lshRotations(4, 6, 2, 1)[0]).not.toEqual(lshRotations(4, 6, 2, 2)[0]);
    expect(() => lshRotations(4, 3, 1, 0)).toThrow(
      /`numBuckets` must be 1 or an even integer ≥ 2, received 3/,
    );
  });
});
