import '@tensorflow/tfjs-backend-cpu';
import { fusedAttentionGradKernel, fusedAttentionKernel } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expectGradsClose,
  expectZeroRows,
  type GradCase,
  gradInputs,
  gradsThroughForward,
  randomGradCases,
  rowsWithoutKeys,
} from '../../runtime/webgpu/testing/attention-grad-cases.js';
import { useDawnWebGPU } from '../../runtime/webgpu/testing/dawn-webgpu.js';
import { expectGradNaNRuleOnWebGPU } from '../../runtime/webgpu/testing/nan-rule-property.js';
import { registerWebGPUKernels } from '../register-kernels.js';
import { poisonedShapeArbitrary } from './testing/nan-rule-cases.js';

// Tolerance: GRAD_TOLERANCE of attention-grad-cases.ts (float32 kernel vs the float64 analytic gradient).

const CASES: GradCase[] = [
  // Odd lengths, several query tiles, causal with qLen = kvLen.
  { batch: 1, heads: 2, kvHeads: 2, qLen: 131, kvLen: 131, headDim: 64, valueDim: 64, causal: true },
  // Causal with qLen > kvLen: rows 0–39 see no key (zero gradient); grouped-query heads (group 3).
  { batch: 2, heads: 3, kvHeads: 1, qLen: 97, kvLen: 57, headDim: 16, valueDim: 16, causal: true },
  // qLen < kvLen, not causal, d = 80 (vec4, 20 words), several key tiles.
  { batch: 1, heads: 4, kvHeads: 2, qLen: 45, kvLen: 150, headDim: 80, valueDim: 80, causal: false },
  // Head dims that are not multiples of 4: the scalar (f32) variant.
  { batch: 1, heads: 2, kvHeads: 1, qLen: 70, kvLen: 65, headDim: 6, valueDim: 10, causal: true },
  // d = 264: the looped (not unrolled) registers, a 15-row query tile.
  { batch: 1, heads: 1, kvHeads: 1, qLen: 23, kvLen: 41, headDim: 264, valueDim: 8, causal: false },
];
// More shapes on the head dims above (their WGSL programs are compiled once).
CASES.push(...randomGradCases(20261207, 6, CASES.slice(0, 3)));

const dawn = await useDawnWebGPU();

describe('EAFusedAttentionGrad on webgpu (WGSL FlashAttention-2 backward, Dawn in Node)', () => {
  if (!dawn.available) {
    console.warn(`WebGPU suite skipped: ${dawn.reason}`);
    it.skip(`skipped: ${dawn.reason}`, () => {});
    return;
  }
  registerWebGPUKernels();

  it('runs the registered WGSL kernel on webgpu', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.getKernel(fusedAttentionGradKernel.name, 'webgpu')).toBeDefined();
  });

  it.each(CASES.map((c, i) => [JSON.stringify(c), c, i] as const))(
    'equals the float64 analytic gradient: %s',
    async (_, c, i) => {
      const x = gradInputs(c, 100 + i);
      const before = tf.memory().numTensors;
      const inputs = x.tensors();
      const [dq, dk, dv] = fusedAttentionGradKernel.runOutputs(inputs, { scale: x.scale, causal: c.causal });
      const got = { dq: await dq!.data(), dk: await dk!.data(), dv: await dv!.data() };
      tf.dispose([dq!, dk!, dv!, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
      const what = JSON.stringify(c);
      expectGradsClose(got, x.expected, what);
      const shift = c.kvLen - c.qLen;
      expectZeroRows(
        got.dq,
        rowsWithoutKeys(c, (_b, _h, q, kv) => !c.causal || kv <= q + shift),
        c.headDim,
        what,
      );
    },
  );

  it('trains through the kernels: tf.grads of the forward kernel runs its logSumExp and the WGSL backward', async () => {
    const c: GradCase = {
      batch: 1,
      heads: 4,
      kvHeads: 2,
      qLen: 77,
      kvLen: 91,
      headDim: 16,
      valueDim: 16,
      causal: true,
    };
    const x = gradInputs(c, 7);
    const before = tf.memory().numTensors;
    const { q, k, v, dOut, out, logSumExp } = x.tensors();
    tf.dispose([out, logSumExp]);
    const got = await gradsThroughForward(
      (qt, kt, vt) => fusedAttentionKernel.run({ q: qt, k: kt, v: vt }, { scale: x.scale, causal: c.causal }),
      { q, k, v, dOut },
    );
    tf.dispose([q, k, v, dOut]);
    expect(tf.memory().numTensors).toBe(before);
    expect(got.kernelNames).toContain(fusedAttentionKernel.name);
    expect(got.kernelNames).toContain(fusedAttentionGradKernel.name);
    // No tfjs-ops attention ran: neither the reference forward nor the reference log-sum-exp or backward.
    expect(got.kernelNames).not.toContain('BatchMatMul');
    expectGradsClose(got, x.expected, JSON.stringify(c));
  });

  it('follows the NaN rule: NaN and ±∞ of q, k, v reach exactly the gradients the float64 reference has them in', async () => {
    // Two head-dim pairs (vec4 and scalar programs), so the WGSL programs compile once each.
    const dims = [
      { headDim: 8, valueDim: 8 },
      { headDim: 5, valueDim: 3 },
    ];
    const cases = fc
      .sample(poisonedShapeArbitrary(60), { numRuns: 10, seed: 2126 })
      .map((shape, i) => ({ shape: { ...shape, ...dims[i % 2]! } }));
    await expectGradNaNRuleOnWebGPU(cases, ({ shape }, q, k, v) =>
      fusedAttentionKernel.run({ q, k, v }, { causal: shape.causal }),
    );
  });
});
