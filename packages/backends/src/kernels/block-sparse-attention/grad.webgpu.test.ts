import '@tensorflow/tfjs-backend-cpu';
import { blockSparseAttentionGradKernel, blockSparseAttentionKernel } from '@efficient-attention/core';
import { type AllowedPredicate, compileBlockMask } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expectGradsClose,
  expectZeroRows,
  type GradCase,
  gradInputs,
  gradsThroughForward,
  rowsWithoutKeys,
} from '../../runtime/webgpu/testing/attention-grad-cases.js';
import { useDawnWebGPU } from '../../runtime/webgpu/testing/dawn-webgpu.js';
import { expectGradNaNRuleOnWebGPU } from '../../runtime/webgpu/testing/nan-rule-property.js';
import { bandedRandomAllowed, poisonedShapeArbitrary } from '../fused-attention/testing/nan-rule-cases.js';
import { registerWebGPUKernels } from '../register-kernels.js';

// Tolerance: GRAD_TOLERANCE of attention-grad-cases.ts (float32 kernel vs the float64 analytic gradient).

interface SparseGradCase extends GradCase {
  name: string;
  blockSize: number;
  /** One mask per head (Hm = heads) or one broadcast over heads (Hm = 1). */
  perHead: boolean;
  /** One mask per batch element (Bm = batch) or one broadcast over the batch (Bm = 1). */
  perBatch: boolean;
  /** Which keys each query sees (the mask compiled by brute force, and the float64 reference's predicate). */
  allowed: AllowedPredicate;
}

/**
 * A band with scattered keys and rows that see nothing (full, partial and skipped blocks), per batch element
 * and head or broadcast over them.
 */
const banded =
  (
    seed: number,
    band: number,
    density: number,
    causal: boolean,
    shift: number,
    per: { batch: boolean; head: boolean },
  ): AllowedPredicate =>
  (b, h, q, kv) =>
    (!causal || kv <= q + shift) &&
    bandedRandomAllowed(seed + (per.head ? 7 * h : 0) + (per.batch ? 101 * b : 0), band, density)(
      0,
      0,
      q,
      kv,
    );

const CASES: SparseGradCase[] = [
  {
    name: 'band ∧ causal, qLen < kvLen, grouped-query heads, bs 16, d 64',
    ...{ batch: 1, heads: 4, kvHeads: 2, qLen: 75, kvLen: 101, headDim: 64, valueDim: 64, causal: false },
    blockSize: 16,
    perHead: false,
    perBatch: false,
    allowed: banded(3, 9, 0.1, true, 101 - 75, { batch: false, head: false }),
  },
  {
    name: 'band per batch element and head, qLen > kvLen, bs 13, d 16 (rows with no key)',
    ...{ batch: 2, heads: 3, kvHeads: 1, qLen: 83, kvLen: 47, headDim: 16, valueDim: 16, causal: false },
    blockSize: 13,
    perHead: true,
    perBatch: true,
    allowed: banded(11, 4, 0.2, false, 0, { batch: true, head: true }),
  },
  {
    name: 'sparse random per head, bs 128 (two key chunks per block), d 80',
    ...{ batch: 1, heads: 2, kvHeads: 2, qLen: 141, kvLen: 133, headDim: 80, valueDim: 80, causal: false },
    blockSize: 128,
    perHead: true,
    perBatch: false,
    allowed: banded(5, 0, 0.05, false, 0, { batch: false, head: true }),
  },
  {
    name: 'head dims 6 / 10 (scalar variant), causal band, bs 16',
    ...{ batch: 1, heads: 2, kvHeads: 1, qLen: 50, kvLen: 50, headDim: 6, valueDim: 10, causal: false },
    blockSize: 16,
    perHead: false,
    perBatch: false,
    allowed: banded(2, 20, 0, true, 0, { batch: false, head: false }),
  },
];

const dawn = await useDawnWebGPU();

describe('EABlockSparseAttentionGrad on webgpu (WGSL FlashAttention-2 backward over block lists, Dawn in Node)', () => {
  if (!dawn.available) {
    console.warn(`WebGPU suite skipped: ${dawn.reason}`);
    it.skip(`skipped: ${dawn.reason}`, () => {});
    return;
  }
  registerWebGPUKernels();

  it('runs the registered WGSL kernel on webgpu', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.getKernel(blockSparseAttentionGradKernel.name, 'webgpu')).toBeDefined();
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))(
    'equals the float64 analytic gradient: %s',
    async (_, c, i) => {
      const x = gradInputs(c, 300 + i, c.allowed);
      const maskDims = [c.perBatch ? c.batch : 1, c.perHead ? c.heads : 1] as const;
      const mask = compileBlockMask(c.allowed, ...maskDims, c.qLen, c.kvLen, c.blockSize);
      const before = tf.memory().numTensors;
      const inputs = { ...x.tensors(), ...mask };
      const attrs = { blockSize: c.blockSize, qLen: c.qLen, kvLen: c.kvLen, scale: x.scale };
      const [dq, dk, dv] = blockSparseAttentionGradKernel.runOutputs(inputs, attrs);
      const got = { dq: await dq!.data(), dk: await dk!.data(), dv: await dv!.data() };
      tf.dispose([dq!, dk!, dv!, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before - Object.keys(mask).length);
      expectGradsClose(got, x.expected, c.name);
      expectZeroRows(got.dq, rowsWithoutKeys(c, c.allowed), c.headDim, c.name);
    },
  );

  it('trains through the kernels: tf.grads of the forward kernel runs its logSumExp and the WGSL backward', async () => {
    const c = CASES[1]!;
    const x = gradInputs(c, 9, c.allowed);
    const mask = compileBlockMask(c.allowed, c.batch, c.heads, c.qLen, c.kvLen, c.blockSize);
    const before = tf.memory().numTensors;
    const { q, k, v, dOut, out, logSumExp } = x.tensors();
    tf.dispose([out, logSumExp]);
    const attrs = { blockSize: c.blockSize, qLen: c.qLen, kvLen: c.kvLen, scale: x.scale };
    const got = await gradsThroughForward(
      (qt, kt, vt) => blockSparseAttentionKernel.run({ q: qt, k: kt, v: vt, ...mask }, attrs),
      { q, k, v, dOut },
    );
    tf.dispose([q, k, v, dOut]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(mask));
    expect(got.kernelNames).toContain(blockSparseAttentionKernel.name);
    expect(got.kernelNames).toContain(blockSparseAttentionGradKernel.name);
    // No tfjs-ops attention ran: neither the reference forward nor the reference log-sum-exp or backward.
    expect(got.kernelNames).not.toContain('BatchMatMul');
    expectGradsClose(got, x.expected, c.name);
  });

  it('follows the NaN rule: masked keys never reach a gradient, visible NaN and ±∞ reach exactly the float64 reference', async () => {
    const arb = fc.record({
      shape: poisonedShapeArbitrary(60),
      blockSize: fc.constantFrom(8, 13),
      band: fc.integer({ min: 0, max: 12 }),
    });
    // One head-dim pair, so the WGSL programs compile once per block size.
    const cases = fc.sample(arb, { numRuns: 8, seed: 2127 }).map((c) => {
      const pattern = bandedRandomAllowed(c.shape.seed, c.band, 0.3);
      return {
        ...c,
        shape: { ...c.shape, headDim: 8, valueDim: 8 },
        allowed: (_b: number, _h: number, q: number, kv: number) => pattern(0, 0, q, kv),
      };
    });
    await expectGradNaNRuleOnWebGPU(cases, ({ shape: p, blockSize, allowed }, q, k, v) => {
      const shift = p.kvLen - p.qLen;
      const visible = (b: number, h: number, qi: number, kv: number) =>
        (!p.causal || kv <= qi + shift) && allowed(b, h, qi, kv);
      const mask = compileBlockMask(visible, 1, 1, p.qLen, p.kvLen, blockSize);
      const out = blockSparseAttentionKernel.run(
        { q, k, v, ...mask },
        { blockSize, qLen: p.qLen, kvLen: p.kvLen },
      );
      return out;
    });
  });
});
