import {
  blockSparseAttentionKernel,
  type MaskMod,
  scaledDotProductAttention,
  scoreMod,
} from '@efficient-attention/core';
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
import { blockSparseAttention } from './block-sparse-attention.js';
import { andMasks } from './combinators/and-masks.js';
import { notMask } from './combinators/not-mask.js';
import { offsetMask } from './combinators/offset-mask.js';
import { orMasks } from './combinators/or-masks.js';
import { createBlockMask } from './create-block-mask.js';
import { attentionSink } from './patterns/attention-sink.js';
import { bigBird } from './patterns/big-bird.js';
import { blockLocal } from './patterns/block-local.js';
import { causal } from './patterns/causal.js';
import { dilatedSlidingWindow } from './patterns/dilated-sliding-window.js';
import { documentMask } from './patterns/document-mask.js';
import { fixed } from './patterns/fixed.js';
import { globalTokens } from './patterns/global-tokens.js';
import { longformer } from './patterns/longformer.js';
import { prefixLM } from './patterns/prefix-lm.js';
import { randomPattern } from './patterns/random-pattern.js';
import { slidingWindow } from './patterns/sliding-window.js';
import { starTransformer } from './patterns/star-transformer.js';
import { strided } from './patterns/strided.js';

/** Every pattern and compound, built for the lengths of a case; `self` ones need qLen = kvLen. */
const PATTERNS: Array<{ name: string; self?: boolean; make: (n: number, m: number, s: number) => MaskMod }> =
  [
    { name: 'causal', make: (n, m) => causal({ qLen: n, kvLen: m }) },
    { name: 'slidingWindow', make: (_n, _m, s) => slidingWindow({ before: s % 9, after: (s >> 4) % 5 }) },
    {
      name: 'dilatedSlidingWindow',
      make: (_n, _m, s) => dilatedSlidingWindow({ radius: s % 5, dilation: 1 + (s % 3) }),
    },
    { name: 'globalTokens', make: (n, m, s) => globalTokens({ indices: [s % Math.max(n, m), 0] }) },
    {
      name: 'randomPattern perRow',
      make: (_n, m, s) => randomPattern({ kvLen: m, perRow: s % (m + 1), seed: s }),
    },
    {
      name: 'randomPattern density perHead',
      make: (_n, m, s) => randomPattern({ kvLen: m, density: 0.3, seed: s, perHead: true }),
    },
    { name: 'blockLocal', make: (_n, _m, s) => blockLocal({ size: 1 + (s % 11) }) },
    { name: 'strided', make: (_n, _m, s) => strided({ stride: 1 + (s % 6) }) },
    { name: 'fixed', make: (_n, _m, s) => fixed({ stride: 2 + (s % 5), summary: 1, causal: s % 2 === 0 }) },
    { name: 'prefixLM', make: (_n, _m, s) => prefixLM({ prefixLength: s % 17 }) },
    {
      name: 'documentMask',
      make: (n, m, s) =>
        documentMask({
          documentIds: Array.from({ length: n }, (_, i) =>
            i === n - 1 && s % 2 === 0 ? -1 : Math.floor((i * 3) / n),
          ),
          kvDocumentIds: Array.from({ length: m }, (_, i) => Math.floor((i * 3) / m)),
        }),
    },
    { name: 'attentionSink', make: (_n, _m, s) => attentionSink({ sinks: s % 3, window: s % 7 }) },
    {
      name: 'longformer',
      make: (n, _m, s) => longformer({ radius: s % 6, globalIndices: [0, (s * 7) % n] }),
    },
    {
      name: 'bigBird',
      self: true,
      make: (n, _m, s) =>
        bigBird({ seqLen: n, blockSize: 1 + (s % 8), globalBlocks: 1, randomBlocks: 2, seed: s }),
    },
    { name: 'starTransformer', self: true, make: (n) => starTransformer({ seqLen: Math.max(2, n) }) },
    {
      name: 'orMasks(window, notMask(blockLocal))',
      make: (_n, _m, s) =>
        orMasks(slidingWindow({ radius: s % 3 }), notMask(blockLocal({ size: 3 + (s % 4) }))),
    },
    {
      name: 'offsetMask(window) for a KV cache',
      make: (n, m) => offsetMask(slidingWindow({ before: 5 }), { q: m - n }),
    },
  ];

// float32 gathered-block attention vs the float64 reference over ≤ 64 keys of unit-normal inputs.
const TOL = { atol: 3e-5, rtol: 3e-4 };

describeBackends('blockSparseAttention', () => {
  it('equals the float64 masked reference for every pattern and compound (random shapes, causal, cross, GQA)', () => {
    for (const pattern of PATTERNS) {
      fc.assert(
        fc.property(
          fc.record({
            batch: fc.integer({ min: 1, max: 2 }),
            kvHeads: fc.integer({ min: 1, max: 2 }),
            group: fc.integer({ min: 1, max: 2 }),
            qLen: fc.integer({ min: 2, max: 64 }),
            kvLen: fc.integer({ min: 2, max: 64 }),
            headDim: fc.integer({ min: 1, max: 12 }),
            valueDim: fc.integer({ min: 1, max: 8 }),
            blockSize: fc.integer({ min: 3, max: 40 }),
            causal: fc.boolean(),
            seed: fc.integer({ min: 0, max: 100_000 }),
          }),
          (p) => {
            const kvLen = pattern.self ? p.qLen : p.kvLen;
            const heads = p.kvHeads * p.group;
            const mod = pattern.make(p.qLen, kvLen, p.seed);
            const full = p.causal ? andMasks(mod, causal({ qLen: p.qLen, kvLen })) : mod;
            const mask = createBlockMask(full, p.qLen, kvLen, {
              blockSize: p.blockSize,
              batch: p.batch,
              heads,
            });
            const q = seededTensor([p.batch, heads, p.qLen, p.headDim], p.seed);
            const k = seededTensor([p.batch, p.kvHeads, kvLen, p.headDim], p.seed + 1);
            const v = seededTensor([p.batch, p.kvHeads, kvLen, p.valueDim], p.seed + 2);
            try {
              const out = blockSparseAttention(q.tensor, k.tensor, v.tensor, mask);
              const expected = referenceAttention(
                { ...p, kvLen, heads, q: q.data, k: k.data, v: v.data },
                { causal: p.causal, allowed: mod },
              );
              expectTensorsClose(out, expected.output, TOL);
              out.dispose();
            } finally {
              tf.dispose([q.tensor, k.tensor, v.tensor]);
            }
          },
        ),
        { numRuns: 3, seed: 51 + pattern.name.length },
      );
    }
  });

  it('gives q, k, v gradients equal to the dense masked path', () => {
    const cases = [
      { mod: longformer({ radius: 3, globalIndices: [0] }), qLen: 30, kvLen: 30, causalToo: false },
      { mod: slidingWindow({ before: 4 }), qLen: 12, kvLen: 27, causalToo: true },
    ];
    for (const c of cases) {
      const q = seededTensor([2, 2, c.qLen, 5], 1);
      const k = seededTensor([2, 1, c.kvLen, 5], 2);
      const v = seededTensor([2, 1, c.kvLen, 3], 3);
      const full = c.causalToo ? andMasks(c.mod, causal({ qLen: c.qLen, kvLen: c.kvLen })) : c.mod;
      const mask = createBlockMask(full, c.qLen, c.kvLen, { blockSize: 8 });
      const loss = (sparse: boolean) => (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
        tf.sum(
          tf.sin(
            sparse
              ? blockSparseAttention(a, b, d, mask)
              : scaledDotProductAttention(a, b, d, { mask: c.mod, causal: c.causalToo }),
          ),
        ) as tf.Scalar;
      const inputs = [q.tensor, k.tensor, v.tensor];
      const sparse = tf.grads(loss(true))(inputs);
      const dense = tf.grads(loss(false))(inputs);
      sparse.forEach((g, i) => {
        expectTensorsClose(g, dense[i]!, { atol: 1e-5, rtol: 1e-4 });
      });
      tf.dispose([...inputs, ...sparse, ...dense]);
    }
  });

  it('applies a score modifier (scalar and tensor forms) like the reference', () => {
    const n = 21;
    const q = seededTensor([1, 2, n, 4], 7);
    const k = seededTensor([1, 2, n, 4], 8);
    const v = seededTensor([1, 2, n, 4], 9);
    const slope = (h: number) => 0.25 * (h + 1);
    const scalar = (s: number, _b: number, h: number, qi: number, kv: number) =>
      s - slope(h) * Math.abs(qi - kv);
    const mods = [
      scoreMod({ name: 'distance (scalar)', scalar }),
      scoreMod({
        name: 'distance (tensor)',
        scalar,
        tensor: (s, ctx) =>
          tf.sub(
            s,
            tf.mul(
              tf.reshape(
                tf.tensor1d([slope(ctx.headStart), slope(ctx.headStart + 1)].slice(0, ctx.headCount)),
                [1, ctx.headCount, 1, 1],
              ),
              tf.abs(tf.sub(ctx.qPositions(), ctx.kvPositions())),
            ),
          ),
      }),
    ];
    const mod = longformer({ radius: 4, globalIndices: [3] });
    const mask = createBlockMask(mod, n, n, { blockSize: 5 });
    const expected = referenceAttention(
      {
        q: q.data,
        k: k.data,
        v: v.data,
        batch: 1,
        heads: 2,
        kvHeads: 2,
        qLen: n,
        kvLen: n,
        headDim: 4,
        valueDim: 4,
      },
      { allowed: mod, scoreMod: scalar, scale: 0.7 },
    );
    for (const m of mods) {
      const out = blockSparseAttention(q.tensor, k.tensor, v.tensor, mask, { scoreMod: m, scale: 0.7 });
      expectTensorsClose(out, expected.output, TOL);
      out.dispose();
    }
    tf.dispose([q.tensor, k.tensor, v.tensor]);
  });

  it('gives zeros, not NaN, for rows with no allowed key, and leaks nothing', () => {
    // Padding rows of a packed batch, and the first rows of bottom-right causal cross-attention.
    const doc = documentMask({ documentIds: [0, 0, 1, -1, -1, 1, -1] });
    const q = seededTensor([1, 1, 7, 4], 11);
    const out = blockSparseAttention(
      q.tensor,
      q.tensor,
      q.tensor,
      createBlockMask(doc, 7, 7, { blockSize: 2 }),
    );
    const rows = (out.arraySync() as number[][][][])[0]![0]!;
    for (const r of [3, 4, 6]) expect(rows[r]).toEqual([0, 0, 0, 0]);
    expect(rows.flat().every(Number.isFinite)).toBe(true);
    const kv = seededTensor([1, 1, 3, 4], 12);
    const cross = createBlockMask(causal({ qLen: 7, kvLen: 3 }), 7, 3, { blockSize: 4 });
    const crossRows = (
      blockSparseAttention(q.tensor, kv.tensor, kv.tensor, cross).arraySync() as number[][][][]
    )[0]![0]!;
    for (const r of [0, 1, 2, 3]) expect(crossRows[r]).toEqual([0, 0, 0, 0]);
    expect(crossRows[4]).toEqual(Array.from(kv.data.slice(0, 4), (x) => Math.fround(x)));
    expectNoLeaks(() => blockSparseAttention(q.tensor, kv.tensor, kv.tensor, cross));
    tf.dispose([out, q.tensor, kv.tensor]);
  });

  it('dispatches to a registered EABlockSparseAttention kernel, except with a score modifier', () => {
    const backend = tf.getBackend();
    const x = tf.ones([1, 1, 4, 2]);
    const mask = createBlockMask(causal(), 4, 4, { blockSize: 2 });
    tf.registerKernel({
      kernelName: blockSparseAttentionKernel.name,
      backendName: backend,
      // A constant result proves the call went to the kernel; it checks the compiled inputs arrived.
      kernelFunc: ({ inputs, attrs }) => {
        expect(Object.keys(inputs).sort()).toEqual([...blockSparseAttentionKernel.inputNames].sort());
        expect(attrs).toMatchObject({ blockSize: 2, qLen: 4, kvLen: 4 });
        const b = tf.backend() as unknown as {
          makeTensorInfo?(s: number[], d: string, v: Float32Array): tf.TensorInfo;
          makeOutput?(s: number[], d: string, offset?: number, v?: Float32Array): tf.TensorInfo;
        };
        const values = new Float32Array(8).fill(42);
        return b.makeTensorInfo
          ? b.makeTensorInfo([1, 1, 4, 2], 'float32', values)
          : b.makeOutput!([1, 1, 4, 2], 'float32', undefined, values);
      },
    });
    try {
      const viaKernel = blockSparseAttention(x, x, x, mask);
      expect(Array.from(viaKernel.dataSync())).toEqual(Array(8).fill(42));
      const identity = scoreMod({ name: 'identity', scalar: (s) => s });
      const viaReference = blockSparseAttention(x, x, x, mask, { scoreMod: identity });
      expect(Array.from(viaReference.dataSync())).toEqual(Array(8).fill(1));
      tf.dispose([viaKernel, viaReference]);
    } finally {
      tf.unregisterKernel(blockSparseAttentionKernel.name, backend);
      x.dispose();
    }
  });

  it('refuses a mask built for other lengths or heads, and bad options', () => {
    const x = tf.zeros([1, 2, 32, 4]);
    const long = tf.zeros([1, 2, 64, 4]);
    const mask = createBlockMask(slidingWindow({ radius: 4 }), 32, 64, { blockSize: 16 });
    expect(() => blockSparseAttention(x, x, x, mask)).toThrow(
      /This block mask was built for 64 keys, the keys have 32: build a new one/,
    );
    const perHead = createBlockMask(randomPattern({ kvLen: 64, perRow: 3, perHead: true }), 32, 64, {
      heads: 3,
    });
    expect(() => blockSparseAttention(x, long, long, perHead)).toThrow(
      /built for 3 heads, the queries have 2/,
    );
    expect(() => blockSparseAttention(x, long, long, { qLen: 32 } as never)).toThrow(
      /`blockMask` must be a BlockMask built with createBlockMask/,
    );
    expect(() => blockSparseAttention(x, long, long, mask, { scale: Number.NaN })).toThrow(
      /`options.scale` must be a finite number, received NaN/,
    );
    expect(() => blockSparseAttention(x, long, long, mask, { causal: true } as never)).toThrow(
      /`options.causal` must be one of the known options \(scale, scoreMod\)/,
    );
    tf.dispose([x, long]);
  });
});
