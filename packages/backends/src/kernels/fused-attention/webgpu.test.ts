import '@tensorflow/tfjs-backend-cpu';
import { fusedAttentionKernel } from '@efficient-attention/core';
import { expectTensorsClose, seededNormalValues } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onCpu, useDawnWebGPU } from '../../runtime/webgpu/testing/dawn-webgpu.js';
import { expectNaNRuleOnWebGPU, referenceLogSumExp } from '../../runtime/webgpu/testing/nan-rule-property.js';
import { registerWebGPUKernels } from '../register-kernels.js';
import { expectNaNRule, poisonedShapeArbitrary } from './testing/nan-rule-cases.js';

/** float32 tolerance: |kernel − reference| ≤ ATOL + RTOL·|reference| (softmax-weighted sums of N(0, 1) values). */
const ATOL = 2e-5;
const RTOL = 2e-4;

interface Case {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  causal: boolean;
}

/** Random shapes from a seed (xorshift), covering partial tiles, GQA, qLen ≠ kvLen and rows without keys. */
function randomCases(seed: number, count: number): Case[] {
  let s = seed >>> 0 || 1;
  const next = (lo: number, hi: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return lo + ((s >>> 0) % (hi - lo + 1));
  };
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const kvHeads = next(1, 2);
    cases.push({
      batch: next(1, 2),
      heads: kvHeads * next(1, 2),
      kvHeads,
      qLen: next(1, 150),
      kvLen: next(1, 150),
      headDim: [8, 16, 32, 64][next(0, 3)]!,
      valueDim: [8, 16, 24, 64][next(0, 3)]!,
      causal: next(0, 1) === 1,
    });
  }
  return cases;
}

const CASES: Case[] = [
  { batch: 1, heads: 2, kvHeads: 2, qLen: 130, kvLen: 130, headDim: 64, valueDim: 64, causal: true },
  { batch: 1, heads: 1, kvHeads: 1, qLen: 65, kvLen: 200, headDim: 128, valueDim: 128, causal: false },
  { batch: 2, heads: 4, kvHeads: 2, qLen: 70, kvLen: 100, headDim: 32, valueDim: 24, causal: true },
  { batch: 1, heads: 1, kvHeads: 1, qLen: 100, kvLen: 60, headDim: 16, valueDim: 16, causal: true },
  // d = 264: the looped (not unrolled) row registers and a 15-key tile.
  { batch: 1, heads: 1, kvHeads: 1, qLen: 20, kvLen: 40, headDim: 264, valueDim: 8, causal: false },
  // Head dims that are not multiples of 4: the scalar (f32) variant of the program.
  { batch: 1, heads: 2, kvHeads: 1, qLen: 90, kvLen: 75, headDim: 6, valueDim: 10, causal: true },
  ...randomCases(20261123, 6),
];

const dawn = await useDawnWebGPU();

describe('EAFusedAttention on webgpu (WGSL, Dawn in Node)', () => {
  if (!dawn.available) {
    console.warn(`WebGPU suite skipped: ${dawn.reason}`);
    it.skip(`skipped: ${dawn.reason}`, () => {});
    return;
  }
  registerWebGPUKernels();

  it('runs the registered WGSL kernel on webgpu', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.getKernel(fusedAttentionKernel.name, 'webgpu')).toBeDefined();
  });

  it.each(CASES.map((c, i) => [JSON.stringify(c), c, i] as const))(
    'equals core reference (cpu) within float32 tolerance: %s',
    async (_, c, i) => {
      const qv = seededNormalValues(c.batch * c.heads * c.qLen * c.headDim, 3 * i + 1);
      const kv = seededNormalValues(c.batch * c.kvHeads * c.kvLen * c.headDim, 3 * i + 2);
      const vv = seededNormalValues(c.batch * c.kvHeads * c.kvLen * c.valueDim, 3 * i + 3);
      const make = () => ({
        q: tf.tensor4d(qv, [c.batch, c.heads, c.qLen, c.headDim]),
        k: tf.tensor4d(kv, [c.batch, c.kvHeads, c.kvLen, c.headDim]),
        v: tf.tensor4d(vv, [c.batch, c.kvHeads, c.kvLen, c.valueDim]),
      });
      const attrs = { scale: 1 / Math.sqrt(c.headDim), causal: c.causal };
      const expected = await onCpu(() =>
        tf.tidy(() => fusedAttentionKernel.reference(make(), attrs).dataSync().slice()),
      );
      const before = tf.memory().numTensors;
      const inputs = make();
      const [out, logSumExp] = fusedAttentionKernel.runOutputs(inputs, attrs);
      expect(out!.shape).toEqual([c.batch, c.heads, c.qLen, c.valueDim]);
      expectTensorsClose(await out!.data(), expected, { atol: ATOL, rtol: RTOL });
      // The second output: each row's log-sum-exp (−∞ for causal rows that see no key), against float64.
      const lse = referenceLogSumExp({ ...c, q: qv, k: kv, v: vv }, attrs);
      expectNaNRule(await logSumExp!.data(), lse, 'logSumExp');
      tf.dispose([out!, logSumExp!, inputs.q, inputs.k, inputs.v]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('follows the NaN rule: NaN and ±∞ of q, k, v exactly where the float64 reference has them', async () => {
    const cases = fc
      .sample(poisonedShapeArbitrary(80), { numRuns: 16, seed: 2124 })
      .map((shape) => ({ shape }));
    await expectNaNRuleOnWebGPU(cases, ({ shape }, qkv) =>
      fusedAttentionKernel.runOutputs(qkv, { causal: shape.causal }),
    );
  });

  it('falls back to the reference, which raises its error, for invalid inputs', () => {
    const q = tf.zeros([1, 3, 4, 8]);
    const k = tf.zeros([1, 2, 4, 8]);
    expect(() => fusedAttentionKernel.run({ q, k, v: k }, { scale: 1, causal: false })).toThrow(/head/i);
    tf.dispose([q, k]);
  });
});
