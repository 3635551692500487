import { blockSparseAttentionKernel, hasKernelFor, mergeBlockLists } from '@efficient-attention/core';
import {
  andMasks,
  bigBird,
  causal,
  createBlockMask,
  dilatedSlidingWindow,
  longformer,
  randomPattern,
  slidingWindow,
} from '@efficient-attention/sparse-masks';
import {
  describeBackends,
  expectCloseWithNaNs,
  expectNoLeaks,
  expectTensorsClose,
  referenceAttentionGrad,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';

// Each case: a pattern compiled to a BlockMask (full, partial and skipped blocks), shapes off the tile edges.
const CASES = [
  {
    name: 'causal sliding window, bs 32',
    b: 1,
    h: 2,
    hkv: 2,
    n: 200,
    d: 16,
    bs: 32,
    mask: () => andMasks(causal(), slidingWindow({ before: 40 })),
  },
  {
    name: 'dilated window, bs 12 (not a multiple of 8)',
    b: 1,
    h: 2,
    hkv: 1,
    n: 100,
    d: 8,
    bs: 12,
    mask: () => dilatedSlidingWindow({ radius: 3, dilation: 3 }),
  },
  {
    name: 'BigBird, bs 16',
    b: 2,
    h: 2,
    hkv: 2,
    n: 160,
    d: 24,
    bs: 16,
    mask: () => bigBird({ seqLen: 160, blockSize: 16, randomBlocks: 2, seed: 4 }),
  },
  {
    name: 'Longformer + causal, bs 64',
    b: 1,
    h: 4,
    hkv: 2,
    n: 300,
    d: 64,
    bs: 64,
    mask: () => andMasks(causal(), longformer({ radius: 20, globalIndices: [0, 5] })),
  },
  {
    name: 'per-head random, bs 8',
    b: 1,
    h: 3,
    hkv: 3,
    n: 70,
    d: 5,
    bs: 8,
    heads: 3,
    mask: () => randomPattern({ kvLen: 70, density: 0.2, seed: 9, perHead: true }),
  },
  {
    // Blocks start at keys ≡ 2 (mod 4): four-key groups straddle the bitmask's 32-bit words.
    name: 'dilated window, bs 42 (key groups straddle bitmask words)',
    b: 1,
    h: 2,
    hkv: 2,
    n: 300,
    d: 8,
    bs: 42,
    mask: () => dilatedSlidingWindow({ radius: 50, dilation: 3 }),
  },
  {
    name: 'per-head random + causal, bs 10',
    b: 1,
    h: 2,
    hkv: 1,
    n: 95,
    d: 12,
    bs: 10,
    heads: 2,
    mask: () => andMasks(causal(), randomPattern({ kvLen: 95, density: 0.4, seed: 3, perHead: true })),
  },
  {
    name: 'bs 200 > score tile',
    b: 1,
    h: 1,
    hkv: 1,
    n: 450,
    d: 16,
    bs: 200,
    mask: () => andMasks(causal(), slidingWindow({ before: 250 })),
  },
];

for (const threads of [1, 2]) {
  describeBackends(`blockSparseAttentionWasm (${threads} thread${threads > 1 ? 's' : ''})`, (backend) => {
    beforeAll(async () => {
      await registerWasmKernels({ threads });
    });
    afterAll(() => unregisterWasmKernels());

    it('is registered for the backend', () => {
      expect(hasKernelFor(blockSparseAttentionKernel, backend)).toBe(true);
    });

    CASES.forEach((c, i) => {
      it(`equals the tfjs-ops reference within float32 tolerance (${c.name})`, () => {
        const blockMask = createBlockMask(c.mask(), c.n, c.n, {
          blockSize: c.bs,
          ...(c.heads ? { heads: c.heads } : {}),
        });
        const q = seededTensor([c.b, c.h, c.n, c.d], 101 + i).tensor;
        const k = seededTensor([c.b, c.hkv, c.n, c.d], 202 + i).tensor;
        const v = seededTensor([c.b, c.hkv, c.n, c.d], 303 + i).tensor;
        const maskTensors = blockMask.toTensors();
        const inputs = { q, k, v, ...maskTensors };
        const attrs = { blockSize: c.bs, qLen: c.n, kvLen: c.n, scale: 1 / Math.sqrt(c.d) };
        const expected = blockSparseAttentionKernel.reference(inputs, attrs);
        expectNoLeaks(() => {
          const out = blockSparseAttentionKernel.run(inputs, attrs);
          expectTensorsClose(out, expected, { atol: 2e-5, rtol: 1e-4 });
          return out;
        });
        tf.dispose([q, k, v, expected, ...Object.values(maskTensors)]);
      });

      it(`returns each row's log-sum-exp as its second output, as the float64 reference (${c.name})`, () => {
        const mask = c.mask();
        const blockMask = createBlockMask(mask, c.n, c.n, {
          blockSize: c.bs,
          ...(c.heads ? { heads: c.heads } : {}),
        });
        const q = seededTensor([c.b, c.h, c.n, c.d], 101 + i);
        const k = seededTensor([c.b, c.hkv, c.n, c.d], 202 + i);
        const v = seededTensor([c.b, c.hkv, c.n, c.d], 303 + i);
        const maskTensors = blockMask.toTensors();
        const scale = 1 / Math.sqrt(c.d);
        const attrs = { blockSize: c.bs, qLen: c.n, kvLen: c.n, scale };
        const dims = {
          batch: c.b,
          heads: c.h,
          kvHeads: c.hkv,
          qLen: c.n,
          kvLen: c.n,
          headDim: c.d,
          valueDim: c.d,
        };
        const expected = referenceAttentionGrad(
          { ...dims, q: q.data, k: k.data, v: v.data },
          new Float64Array(c.b * c.h * c.n * c.d),
          { scale, allowed: (b, h, qi, kv) => mask(b, h, qi, kv) },
        ).logSumExp;
        let got: ArrayLike<number> = [];
        expectNoLeaks(() => {
          const outputs = blockSparseAttentionKernel.runOutputs(
            { q: q.tensor, k: k.tensor, v: v.tensor, ...maskTensors },
            attrs,
          );
          expect(outputs[1]!.shape).toEqual([c.b, c.h, c.n]);
          got = outputs[1]!.dataSync();
          return outputs;
        });
        // Natural log of float32 sums of exponentials (−∞ for rows with no visible key).
        expectCloseWithNaNs(got, expected, { atol: 1e-5, rtol: 1e-5 }, 'logSumExp');
        tf.dispose([q.tensor, k.tensor, v.tensor, ...Object.values(maskTensors)]);
      });
    });
  });
}

it('mergeBlockLists rejects unsorted or out-of-range block lists like the reference', () => {
  const layout = {
    kvNum: Int32Array.of(2),
    kvIdx: Int32Array.of(3, 1),
    fullNum: Int32Array.of(0),
    fullIdx: Int32Array.of(0),
    offsets: Int32Array.of(0),
  };
  // One mask row: 1 plane × 1 query block, lists 2 and 1 wide, 4 key blocks, 2 bitmasks.
  const sizes = { qBlocks: 1, planes: 1, maxKv: 2, maxFull: 1, kvBlocks: 4, numMasks: 2 };
  const FN = 'EABlockSparseAttention';
  expect(() => mergeBlockLists(FN, layout, sizes)).toThrow(/ascending/);
  expect(() => mergeBlockLists(FN, { ...layout, kvIdx: Int32Array.of(1, 4) }, sizes)).toThrow(/\[0, 4\)/);
  expect(mergeBlockLists(FN, { ...layout, kvIdx: Int32Array.of(1, 3) }, sizes).pairs).toEqual(
    Int32Array.of(1, 0, 3, 1),
  );
});
