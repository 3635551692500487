import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttention,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { lshAttention } from './lsh-attention.js';
import { lshBuckets, lshRotations, sortByBucket } from './lsh-buckets.js';

const shape = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  kvHeads: fc.integer({ min: 1, max: 2 }),
  group: fc.integer({ min: 1, max: 2 }),
  n: fc.integer({ min: 1, max: 40 }),
  d: fc.integer({ min: 1, max: 8 }),
  dv: fc.integer({ min: 1, max: 5 }),
  numHashes: fc.integer({ min: 1, max: 3 }),
  causal: fc.boolean(),
  seed: fc.integer({ min: 0, max: 100_000 }),
});

function inputs(p: {
  batch: number;
  kvHeads: number;
  group: number;
  n: number;
  d: number;
  dv: number;
  seed: number;
}) {
  const heads = p.kvHeads * p.group;
  return {
    heads,
    q: seededTensor([p.batch, heads, p.n, p.d], p.seed),
    k: seededTensor([p.batch, p.kvHeads, p.n, p.d], p.seed + 1),
    v: seededTensor([p.batch, p.kvHeads, p.n, p.dv], p.seed + 2),
  };
}

// float32 chunked softmax (with −log(count) and the round combination) vs float64: rounding only.
const TOL = { atol: 2e-5, rtol: 2e-4 };

describeBackends('lshAttention', () => {
  it('equals full attention when all tokens share one bucket (one chunk, or two that see each other)', () => {
    fc.assert(
      fc.property(shape, fc.boolean(), (p, twoChunks) => {
        const { heads, q, k, v } = inputs(p);
        const chunkSize = twoChunks ? Math.max(1, Math.ceil(p.n / 2)) : p.n;
        const out = lshAttention(q.tensor, k.tensor, v.tensor, {
          numBuckets: 1,
          chunkSize,
          numHashes: p.numHashes,
          causal: p.causal,
        });
        const want = referenceAttention(
          {
            q: q.data,
            k: k.data,
            v: v.data,
            batch: p.batch,
            heads,
            kvHeads: p.kvHeads,
            qLen: p.n,
            kvLen: p.n,
            headDim: p.d,
            valueDim: p.dv,
          },
          { causal: p.causal },
        );
        expectTensorsClose(out, want.output, TOL);
        tf.dispose([out, q.tensor, k.tensor, v.tensor]);
      }),
      { numRuns: 20, seed: 1 },
    );
  });

  it('shared-QK with one bucket equals attention to normalised queries, self only when nothing else', () => {
    fc.assert(
      fc.property(shape, (p) => {
        const { heads, q, v } = inputs({ ...p, kvHeads: 1, group: 1 });
        const out = lshAttention(q.tensor, q.tensor, v.tensor, {
          numBuckets: 1,
          chunkSize: p.n,
          sharedQK: true,
          numHashes: p.numHashes,
          causal: p.causal,
        });
        const kHat = new Float64Array(q.data.length);
        for (let r = 0; r < q.data.length / p.d; r++) {
          const norm = Math.hypot(...q.data.subarray(r * p.d, (r + 1) * p.d));
          for (let t = 0; t < p.d; t++) kHat[r * p.d + t] = q.data[r * p.d + t]! / Math.max(norm, 1e-12);
        }
        // Query i may attend to key i only when it has no other allowed key (i = 0 under causal, or n = 1).
        const others = (i: number) => (p.causal ? i : p.n - 1) > 0;
        const want = referenceAttention(
          {
            q: q.data,
            k: kHat,
            v: v.data,
            batch: p.batch,
            heads,
            kvHeads: heads,
            qLen: p.n,
            kvLen: p.n,
            headDim: p.d,
            valueDim: p.dv,
          },
          { causal: p.causal, allowed: (_b, _h, i, j) => i !== j || !others(i) },
        );
        expectTensorsClose(out, want.output, TOL);
        tf.dispose([out, q.tensor, v.tensor]);
      }),
      { numRuns: 15, seed: 2 },
    );
  });

  it('with many buckets equals softmax attention over the union of keys each query meets across rounds', () => {
    fc.assert(
      fc.property(shape, fc.integer({ min: 1, max: 9 }), (p0, chunkSize) => {
        const p = { ...p0, kvHeads: 1, group: 1, batch: 1 };
        const { heads, q, k, v } = inputs(p);
        const chunk = Math.min(chunkSize, p.n);
        const numChunks = Math.ceil(p.n / chunk);
        const numBuckets = numChunks === 1 ? 1 : 2 * numChunks;
        const out = lshAttention(q.tensor, k.tensor, v.tensor, {
          chunkSize,
          numHashes: p.numHashes,
          causal: p.causal,
          seed: 3,
        });
        // The met sets from the (separately tested) hashing: key j meets query i in a round when j's chunk in
        // the sorted keys is i's chunk in the sorted queries, or the one before it (cyclically).
        const met = Array.from({ length: heads * p.n }, () => new Set<number>());
        for (const rotation of lshRotations(p.d, numBuckets, p.numHashes, 3)) {
          const chunkOf = (x: tf.Tensor, h: number) => {
            const rows = tf.tidy(
              () => tf.reshape(tf.slice(x, [0, h, 0, 0], [1, 1, p.n, p.d]), [p.n, p.d]) as tf.Tensor2D,
            );
            const sorted = sortByBucket(lshBuckets(rows, rotation, numBuckets), numBuckets);
            rows.dispose();
            const c = new Int32Array(p.n);
            sorted.forEach((pos, slot) => {
              c[pos] = Math.floor(slot / chunk);
            });
            return c;
          };
          for (let h = 0; h < heads; h++) {
            const cq = chunkOf(q.tensor, h);
            const ck = chunkOf(k.tensor, h);
            for (let i = 0; i < p.n; i++)
              for (let j = 0; j < p.n; j++)
                if (ck[j] === cq[i] || (numChunks > 1 && ck[j] === (cq[i]! + numChunks - 1) % numChunks))
                  met[h * p.n + i]!.add(j);
          }
        }
        const want = referenceAttention(
          {
            q: q.data,
            k: k.data,
            v: v.data,
            batch: 1,
            heads,
            kvHeads: heads,
            qLen: p.n,
            kvLen: p.n,
            headDim: p.d,
            valueDim: p.dv,
          },
          { causal: p.causal, allowed: (_b, h, i, j) => met[h * p.n + i]!.has(j) },
        );
        expectTensorsClose(out, want.output, TOL);
        tf.dispose([out, q.tensor, k.tensor, v.tensor]);
      }),
      { numRuns: 20, seed: 3 },
    );
  });

  it('trains: gradients reach q, k and v, finite', () => {
    const x = seededTensor([1, 2, 30, 4], 1).tensor;
    const y = seededTensor([1, 2, 30, 4], 2).tensor;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(lshAttention(a, b, c, { chunkSize: 8, numHashes: 2, causal: true }))),
    )([x, y, y]);
    for (const g of grads) {
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    }
    tf.dispose([x, y, ...grads]);
  });

  it('rejects cross lengths, shared-QK with separate keys and bad options; leaks nothing', () => {
    const x = seededTensor([1, 2, 20, 4], 5).tensor;
    expect(() => tf.tidy(() => lshAttention(x, tf.zeros([1, 2, 9, 4]), tf.zeros([1, 2, 9, 4])))).toThrow(
      /`k.shape\[2\] \(kvLen\)` must be 20 \(q's length: LSH attention is self-attention\), received 9/,
    );
    expect(() => tf.tidy(() => lshAttention(x, tf.zeros([1, 2, 20, 4]), x, { sharedQK: true }))).toThrow(
      /`k` must be the query tensor itself when sharedQK/,
    );
    expect(() => lshAttention(x, x, x, { numBuckets: 3 })).toThrow(
      /`numBuckets` must be 1 or an even integer/,
    );
    expect(() => lshAttention(x, x, x, { numHashes: 0 })).toThrow(
      /`options.numHashes` must be an integer ≥ 1/,
    );
    expect(() => lshAttention(x, x, x, { hashes: 2 } as never)).toThrow(
      /`options.hashes` must be one of the known options/,
    );
    expectNoLeaks(() => lshAttention(x, x, x, { chunkSize: 6, numHashes: 3, causal: true }));
    expectNoLeaks(() => lshAttention(x, x, x, { chunkSize: 7, sharedQK: true }));
    x.dispose();
  });
});
