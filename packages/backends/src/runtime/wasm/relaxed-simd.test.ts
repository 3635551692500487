import {
  blockSparseAttentionKernel,
  causalLinearAttentionKernel,
  fusedAttentionKernel,
  ternaryMatMul,
  ternaryMatMulKernel,
} from '@efficient-attention/core';
import { andMasks, causal, createBlockMask, slidingWindow } from '@efficient-attention/sparse-masks';
import {
  expectNoLeaks,
  expectTensorsClose,
  referenceCausalLinearAttentionGrad,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wasmRelaxedSimdSupported } from '../../capability-report.js';
import {
  bandedRandomAllowed,
  compileBlockMask,
  expectNaNRule,
  poisonedInputs,
  poisonedShapeArbitrary,
} from '../../kernels/fused-attention/testing/nan-rule-cases.js';
import { ternaryInputs } from '../../kernels/ternary-matmul/testing/ternary-inputs.js';
import { enableNodeWasmRelaxedSimd } from '../../node-wasm-relaxed-simd.js';
import { registerWasmKernels, unregisterWasmKernels } from './register-wasm-kernels.js';

// This file runs in its own process (vitest's forks pool isolates files), so the V8 flag set here does not
// reach the other test files: they keep testing the SIMD128 build.
describe('the relaxed-SIMD build (kernels-relaxed.wasm)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(() => unregisterWasmKernels());

  it('Node 20 validates relaxed SIMD only after enableNodeWasmRelaxedSimd', async () => {
    expect(wasmRelaxedSimdSupported()).toBe(false);
    await expect(registerWasmKernels({ simd: 'relaxed-simd' })).rejects.toThrow(
      /options\.simd.*enableNodeWasmRelaxedSimd\(\) first.*"relaxed-simd"/s,
    );
    expect(await enableNodeWasmRelaxedSimd()).toBe(true);
    expect(wasmRelaxedSimdSupported()).toBe(true);
    // 'auto' now picks the relaxed build; asking for SIMD128 still loads the other one.
    expect((await registerWasmKernels({ threads: 2, simd: 'simd128' })).variant).toBe('simd128');
    expect((await registerWasmKernels({ threads: 2 })).variant).toBe('relaxed-simd');
  });

  const attention = [
    { b: 1, h: 2, hkv: 2, n: 130, m: 130, d: 64, dv: 64, causal: true },
    { b: 1, h: 3, hkv: 1, n: 37, m: 300, d: 24, dv: 40, causal: false },
  ];
  attention.forEach((c, i) => {
    it(`fused attention equals the reference and the SIMD128 build (${JSON.stringify(c)})`, async () => {
      const q = seededTensor([c.b, c.h, c.n, c.d], 11 + i).tensor;
      const k = seededTensor([c.b, c.hkv, c.m, c.d], 23 + i).tensor;
      const v = seededTensor([c.b, c.hkv, c.m, c.dv], 37 + i).tensor;
      const attrs = { scale: 1 / Math.sqrt(c.d), causal: c.causal };
      const expected = fusedAttentionKernel.reference({ q, k, v }, attrs);
      await registerWasmKernels({ threads: 2, simd: 'simd128' });
      const plain = fusedAttentionKernel.run({ q, k, v }, attrs);
      await registerWasmKernels({ threads: 2, simd: 'relaxed-simd' });
      expectNoLeaks(() => {
        const out = fusedAttentionKernel.run({ q, k, v }, attrs);
        // The same tolerance as the SIMD128 build's tests: fused multiply-adds round once instead of twice.
        expectTensorsClose(out, expected, { atol: 2e-5, rtol: 1e-4 });
        expectTensorsClose(out, plain, { atol: 2e-5, rtol: 1e-4 });
        return out;
      });
      tf.dispose([q, k, v, expected, plain]);
    });
  });

  it('block-sparse attention equals the reference', async () => {
    await registerWasmKernels({ threads: 2, simd: 'relaxed-simd' });
    const [n, d, bs] = [200, 16, 32];
    const blockMask = createBlockMask(andMasks(causal(), slidingWindow({ before: 40 })), n, n, {
      blockSize: bs,
    });
    const q = seededTensor([1, 2, n, d], 5).tensor;
    const k = seededTensor([1, 2, n, d], 6).tensor;
    const v = seededTensor([1, 2, n, d], 7).tensor;
    const maskTensors = blockMask.toTensors();
    const inputs = { q, k, v, ...maskTensors };
    const attrs = { blockSize: bs, qLen: n, kvLen: n, scale: 1 / Math.sqrt(d) };
    const expected = blockSparseAttentionKernel.reference(inputs, attrs);
    const out = blockSparseAttentionKernel.run(inputs, attrs);
    expectTensorsClose(out, expected, { atol: 2e-5, rtol: 1e-4 });
    tf.dispose([q, k, v, expected, out, ...Object.values(maskTensors)]);
  });

  it('fused attention follows the NaN rule of the float64 reference (property)', async () => {
    await registerWasmKernels({ threads: 2, simd: 'relaxed-simd' });
    fc.assert(
      fc.property(poisonedShapeArbitrary(), (p) => {
        const c = poisonedInputs(p);
        const { q, k, v } = c.tensors();
        const out = fusedAttentionKernel.run({ q, k, v }, { causal: p.causal });
        const got = out.dataSync();
        tf.dispose([q, k, v, out]);
        expectNaNRule(got, c.reference(), JSON.stringify(p));
      }),
      { numRuns: 40, seed: 2122 },
    );
  });

  it('block-sparse attention follows the NaN rule of the float64 reference (property)', async () => {
    await registerWasmKernels({ threads: 2, simd: 'relaxed-simd' });
    const blockCase = fc.record({
      shape: poisonedShapeArbitrary(100),
      blockSize: fc.integer({ min: 1, max: 40 }),
      band: fc.integer({ min: 0, max: 16 }),
    });
    fc.assert(
      fc.property(blockCase, ({ shape: p, blockSize, band }) => {
        const c = poisonedInputs(p);
        const pattern = bandedRandomAllowed(p.seed, band, 0.3);
        const shift = p.kvLen - p.qLen;
        const allowed = (_b: number, _h: number, q: number, kv: number) =>
          (!p.causal || kv <= q + shift) && pattern(0, 0, q, kv);
        const mask = compileBlockMask(allowed, 1, 1, p.qLen, p.kvLen, blockSize);
        const { q, k, v } = c.tensors();
        const out = blockSparseAttentionKernel.run(
          { q, k, v, ...mask },
          { blockSize, qLen: p.qLen, kvLen: p.kvLen },
        );
        const got = out.dataSync();
        tf.dispose([q, k, v, out, ...Object.values(mask)]);
        expectNaNRule(
          got,
          c.reference((_b, _h, qi, kv) => pattern(0, 0, qi, kv)),
          JSON.stringify(p),
        );
      }),
      { numRuns: 40, seed: 2123 },
    );
  });

  it('causal linear attention equals the chunked reference', async () => {
    await registerWasmKernels({ threads: 2, simd: 'relaxed-simd' });
    const phiQ = tf.tidy(() => tf.add(tf.elu(seededTensor([1, 2, 100, 16], 70).tensor), 1));
    const phiK = tf.tidy(() => tf.add(tf.elu(seededTensor([1, 2, 100, 16], 80).tensor), 1));
    const v = seededTensor([1, 2, 100, 16], 90).tensor;
    const attrs = { chunkSize: 32, eps: 1e-6 };
    const expected = causalLinearAttentionKernel.reference({ phiQ, phiK, v }, attrs);
    const out = causalLinearAttentionKernel.run({ phiQ, phiK, v }, attrs);
    expectTensorsClose(out, expected, { atol: 1e-5, rtol: 2e-4 });
    tf.dispose([phiQ, phiK, v, expected, out]);
  });

  it('causal linear attention trains through the relaxed kernel (float64 gradient, reverse scans included)', async () => {
    await registerWasmKernels({ threads: 2, simd: 'relaxed-simd' });
    const [b, h, n, f, dv] = [1, 2, 45, 6, 5];
    const s = (seed: number, width: number) => seededTensor([b, h, n, width], seed);
    const [q, k, v, w] = [s(71, f), s(72, f), s(73, dv), s(74, dv)];
    const positive = (x: Float64Array) => Float64Array.from(x, (t) => Math.exp(t / 2));
    const [qd, kd] = [positive(q.data), positive(k.data)];
    const phiQ = tf.tensor(Float32Array.from(qd), q.shape);
    const phiK = tf.tensor(Float32Array.from(kd), k.shape);
    const attrs = { chunkSize: 16, eps: 1e-6 };
    const want = referenceCausalLinearAttentionGrad(
      { phiQ: qd, phiK: kd, v: v.data, planes: b * h, n, features: f, valueDim: dv },
      w.data,
      attrs,
    );
    expectNoLeaks(() => {
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.mul(w.tensor, causalLinearAttentionKernel.run({ phiQ: x, phiK: y, v: z }, attrs))),
      )([phiQ, phiK, v.tensor]);
      // float32 (fused multiply-adds) scans of ≤ 45 positions against float64.
      expectTensorsClose(grads[0]!, want.dPhiQ, { atol: 2e-4, rtol: 1e-3 });
      expectTensorsClose(grads[1]!, want.dPhiK, { atol: 2e-4, rtol: 1e-3 });
      expectTensorsClose(grads[2]!, want.dV, { atol: 2e-4, rtol: 1e-3 });
      return grads;
    });
    tf.dispose([q.tensor, k.tensor, v.tensor, w.tensor, phiQ, phiK]);
  });

  // i2s runs int8 lanes and the relaxed dot product when the activations fit in int8 (the contract), and
  // int16 lanes otherwise: both bit for bit equal to the reference.
  [
    { name: 'int8 activations', low: -128, span: 256 },
    { name: 'activations outside int8 (int16 lanes)', low: -3000, span: 6001 },
  ].forEach(({ name, low, span }, i) => {
    it(`ternary i2s matmul equals the reference bit for bit (${name})`, async () => {
      await registerWasmKernels({ threads: 1, simd: 'relaxed-simd' });
      const c = { m: 3, k: 1000, n: 37, format: 'i2s' as const };
      const inputs = ternaryInputs(c, 99 + i, (x) => low + (x % span));
      const attrs = { k: c.k, n: c.n, format: c.format };
      const expected = ternaryMatMulKernel.reference(inputs, attrs);
      const out = ternaryMatMul(inputs, attrs);
      expectTensorsClose(out, expected, { atol: 0, rtol: 0 });
      tf.dispose([out, expected, ...Object.values(inputs)]);
    });
  });
});
