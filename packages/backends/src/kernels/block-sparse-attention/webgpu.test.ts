import '@tensorflow/tfjs-backend-cpu';
import { blockSparseAttentionKernel } from '@efficient-attention/core';
import {
  type BlockMask,
  causal,
  createBlockMask,
  orMasks,
  randomPattern,
  slidingWindow,
} from '@efficient-attention/sparse-masks';
import { compileBlockMask, expectTensorsClose, seededNormalValues } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onCpu, useDawnWebGPU } from '../../runtime/webgpu/testing/dawn-webgpu.js';
import { expectNaNRuleOnWebGPU, referenceLogSumExp } from '../../runtime/webgpu/testing/nan-rule-property.js';
import {
  bandedRandomAllowed,
  expectNaNRule,
  poisonedShapeArbitrary,
} from '../fused-attention/testing/nan-rule-cases.js';
import { registerWebGPUKernels } from '../register-kernels.js';

/** float32 tolerance: |kernel − reference| ≤ ATOL + RTOL·|reference|. */
const ATOL = 2e-5;
const RTOL = 2e-4;

interface Case {
  name: string;
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  blockSize: number;
  mask: () => BlockMask;
}

const CASES: Case[] = [
  {
    name: 'sliding window r=9, bs=16, head dims 6/10 (scalar variant)',
    ...{ batch: 1, heads: 1, kvHeads: 1, qLen: 50, kvLen: 50, headDim: 6, valueDim: 10, blockSize: 16 },
    mask: () => createBlockMask(slidingWindow({ radius: 9 }), 50, 50, { blockSize: 16 }),
  },
  {
    name: 'sliding window r=20, bs=32 (full and partial blocks, ragged last block)',
    ...{ batch: 1, heads: 2, kvHeads: 2, qLen: 150, kvLen: 150, headDim: 32, valueDim: 32, blockSize: 32 },
    mask: () => createBlockMask(slidingWindow({ radius: 20 }), 150, 150, { blockSize: 32 }),
  },
  {
    name: 'causal, qLen < kvLen, GQA, bs=16, d=64',
    ...{ batch: 2, heads: 4, kvHeads: 2, qLen: 40, kvLen: 90, headDim: 64, valueDim: 16, blockSize: 16 },
    mask: () => createBlockMask(causal({ qLen: 40, kvLen: 90 }), 40, 90, { blockSize: 16 }),
  },
  {
    name: 'random per head (mask per head) or window, bs=64, rows with no key',
    ...{ batch: 1, heads: 3, kvHeads: 3, qLen: 100, kvLen: 77, headDim: 16, valueDim: 24, blockSize: 64 },
    mask: () =>
      createBlockMask(
        orMasks(
          randomPattern({ kvLen: 77, density: 0.05, seed: 7, perHead: true }),
          slidingWindow({ radius: 1 }),
        ),
        100,
        77,
        { blockSize: 64, heads: 3 },
      ),
  },
  {
    name: 'random per head only (empty rows), bs=128 (two row chunks per block)',
    ...{ batch: 1, heads: 2, kvHeads: 1, qLen: 130, kvLen: 140, headDim: 8, valueDim: 8, blockSize: 128 },
    mask: () =>
      createBlockMask(randomPattern({ kvLen: 140, density: 0.01, seed: 3, perHead: true }), 130, 140, {
        blockSize: 128,
        heads: 2,
      }),
  },
];

const dawn = await useDawnWebGPU();

describe('EABlockSparseAttention on webgpu (WGSL, Dawn in Node)', () => {
  if (!dawn.available) {
    console.warn(`WebGPU suite skipped: ${dawn.reason}`);
    it.skip(`skipped: ${dawn.reason}`, () => {});
    return;
  }
  registerWebGPUKernels();

  it('runs the registered WGSL kernel on webgpu', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.getKernel(blockSparseAttentionKernel.name, 'webgpu')).toBeDefined();
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))(
    'equals core reference (cpu) within float32 tolerance: %s',
    async (_, c, i) => {
      const mask = c.mask();
      const qv = seededNormalValues(c.batch * c.heads * c.qLen * c.headDim, 3 * i + 101);
      const kv = seededNormalValues(c.batch * c.kvHeads * c.kvLen * c.headDim, 3 * i + 102);
      const vv = seededNormalValues(c.batch * c.kvHeads * c.kvLen * c.valueDim, 3 * i + 103);
      const make = () => ({
        q: tf.tensor4d(qv, [c.batch, c.heads, c.qLen, c.headDim]),
        k: tf.tensor4d(kv, [c.batch, c.kvHeads, c.kvLen, c.headDim]),
        v: tf.tensor4d(vv, [c.batch, c.kvHeads, c.kvLen, c.valueDim]),
        ...mask.toTensors(),
      });
      const attrs = { blockSize: c.blockSize, qLen: c.qLen, kvLen: c.kvLen, scale: 1 / Math.sqrt(c.headDim) };
      const expected = await onCpu(() =>
        tf.tidy(() => blockSparseAttentionKernel.reference(make(), attrs).dataSync().slice()),
      );
      const before = tf.memory().numTensors;
      const inputs = make();
      const [out, logSumExp] = blockSparseAttentionKernel.runOutputs(inputs, attrs);
      expect(out!.shape).toEqual([c.batch, c.heads, c.qLen, c.valueDim]);
      expectTensorsClose(await out!.data(), expected, { atol: ATOL, rtol: RTOL });
      // The second output: each row's log-sum-exp over the keys the mask's predicate allows (−∞: none),
      // against float64.
      const lse = referenceLogSumExp(
        { ...c, q: qv, k: kv, v: vv },
        { scale: attrs.scale, allowed: (b, h, q, k) => mask.maskMod(b, h, q, k) },
      );
      expectNaNRule(await logSumExp!.data(), lse, 'logSumExp');
      tf.dispose([out!, logSumExp!, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('follows the NaN rule: masked keys never contribute, visible NaN and ±∞ reach their rows', async () => {
    const arb = fc.record({
      shape: poisonedShapeArbitrary(80),
      blockSize: fc.constantFrom(8, 16, 13),
      band: fc.integer({ min: 0, max: 12 }),
    });
    const cases = fc.sample(arb, { numRuns: 12, seed: 2125 }).map((c) => {
      const pattern = bandedRandomAllowed(c.shape.seed, c.band, 0.3);
      return { ...c, allowed: (_b: number, _h: number, q: number, kv: number) => pattern(0, 0, q, kv) };
    });
    await expectNaNRuleOnWebGPU(cases, ({ shape: p, blockSize, allowed }, qkv) => {
      const shift = p.kvLen - p.qLen;
      const visible = (b: number, h: number, q: number, kv: number) =>
        (!p.causal || kv <= q + shift) && allowed(b, h, q, kv);
      const mask = compileBlockMask(visible, 1, 1, p.qLen, p.kvLen, blockSize);
      const outputs = blockSparseAttentionKernel.runOutputs(
        { ...qkv, ...mask },
        { blockSize, qLen: p.qLen, kvLen: p.kvLen },
      );
      tf.dispose(Object.values(mask));
      return outputs;
    });
  });

  it('falls back to the reference, which raises its error, when the mask was built for other lengths', () => {
    const mask = createBlockMask(causal(), 64, 64, { blockSize: 32 });
    const q = tf.zeros([1, 1, 96, 8]);
    const tensors = mask.toTensors();
    expect(() =>
      blockSparseAttentionKernel.run(
        { q, k: q, v: q, ...tensors },
        { blockSize: 32, qLen: 64, kvLen: 64, scale: 1 },
      ),
    ).toThrow(/qLen/);
    tf.dispose([q, ...Object.values(tensors)]);
  });
});
