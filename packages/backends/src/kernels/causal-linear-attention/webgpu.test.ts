import '@tensorflow/tfjs-backend-cpu';
import { causalLinearAttentionKernel } from '@efficient-attention/core';
import {
  expectTensorsClose,
  referenceCausalLinearAttention,
  referenceCausalLinearAttentionGrad,
  seededNormalValues,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { onCpu, useDawnWebGPU } from '../../runtime/webgpu/testing/dawn-webgpu.js';
import { registerWebGPUKernels } from '../register-kernels.js';

/**
 * float32 tolerance: the kernel sums position by position, the reference chunk by chunk with matMuls; the
 * normalised outputs are averages of N(0, 1) values over up to 150 positions.
 */
const ATOL = 2e-5;
const RTOL = 2e-4;

/** [batch, heads, seq, features, valueDim, chunkSize] */
const CASES: Array<[number, number, number, number, number, number]> = [
  [1, 2, 50, 8, 8, 16],
  [2, 1, 150, 16, 24, 64],
  [1, 1, 70, 4, 70, 32],
  [1, 3, 33, 1, 5, 7],
];

const dawn = await useDawnWebGPU();

describe('EACausalLinearAttention on webgpu (WGSL, Dawn in Node)', () => {
  if (!dawn.available) {
    console.warn(`WebGPU suite skipped: ${dawn.reason}`);
    it.skip(`skipped: ${dawn.reason}`, () => {});
    return;
  }
  registerWebGPUKernels();

  it.each(CASES)(
    'equals core reference (cpu): B%i H%i N%i F%i dv%i (reference chunk %i)',
    async (b, h, n, f, dv, chunk) => {
      expect(tf.getKernel(causalLinearAttentionKernel.name, 'webgpu')).toBeDefined();
      // elu(x) + 1 features: positive, as the contract expects.
      const feature = (x: number) => (x > 0 ? x + 1 : Math.exp(x));
      const qv = seededNormalValues(b * h * n * f, n + f).map(feature);
      const kv = seededNormalValues(b * h * n * f, n + f + 1).map(feature);
      const vv = seededNormalValues(b * h * n * dv, n + f + 2);
      const make = () => ({
        phiQ: tf.tensor4d(qv, [b, h, n, f]),
        phiK: tf.tensor4d(kv, [b, h, n, f]),
        v: tf.tensor4d(vv, [b, h, n, dv]),
      });
      const attrs = { chunkSize: chunk, eps: 1e-6 };
      const expected = await onCpu(() =>
        tf.tidy(() => causalLinearAttentionKernel.reference(make(), attrs).dataSync().slice()),
      );
      const before = tf.memory().numTensors;
      const inputs = make();
      const out = causalLinearAttentionKernel.run(inputs, attrs);
      expect(out.shape).toEqual([b, h, n, dv]);
      expectTensorsClose(await out.data(), expected, { atol: ATOL, rtol: RTOL });
      tf.dispose([out, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  /**
   * [batch, heads, seq, features, valueDim, normalize, reverse]: two cases (each compiles several shaders,
   * ~25 s on SwiftShader); the gradient runs causal and reverse unnormalised scans either way.
   */
  const GRAD_CASES: Array<[number, number, number, number, number, boolean, boolean]> = [
    [1, 2, 45, 6, 66, true, false],
    [2, 1, 30, 3, 4, false, true],
  ];

  it.each(GRAD_CASES)(
    'the mode scans and the gradient through the kernels equal float64: B%i H%i N%i F%i dv%i normalize %s reverse %s',
    async (b, h, n, f, dv, normalize, reverse) => {
      const feature = (x: number) => (normalize ? Math.exp(x / 2) : x);
      const qv = Float64Array.from(seededNormalValues(b * h * n * f, n + 1), feature);
      const kv = Float64Array.from(seededNormalValues(b * h * n * f, n + 2), feature);
      const vv = Float64Array.from(seededNormalValues(b * h * n * dv, n + 3));
      const wv = Float64Array.from(seededNormalValues(b * h * n * dv, n + 4));
      const x = { phiQ: qv, phiK: kv, v: vv, planes: b * h, n, features: f, valueDim: dv };
      const attrs = { chunkSize: 16, eps: 1e-6, normalize, reverse };
      const before = tf.memory().numTensors;
      const t = (values: Float64Array, width: number) =>
        tf.tensor4d(Float32Array.from(values), [b, h, n, width]);
      const [phiQ, phiK, v, w] = [t(qv, f), t(kv, f), t(vv, dv), t(wv, dv)];
      const out = causalLinearAttentionKernel.run({ phiQ, phiK, v }, attrs);
      // float32 sums of ≤ 70 positions (per-position scan) against float64.
      expectTensorsClose(await out.data(), referenceCausalLinearAttention(x, attrs), {
        atol: 1e-4,
        rtol: 1e-4,
      });
      const grads = tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(w, causalLinearAttentionKernel.run({ phiQ: a, phiK: k, v: c }, attrs))),
      )([phiQ, phiK, v]);
      const want = referenceCausalLinearAttentionGrad(x, wv, attrs);
      const tol = { atol: 2e-4, rtol: 1e-3 };
      expectTensorsClose(await grads[0]!.data(), want.dPhiQ, tol);
      expectTensorsClose(await grads[1]!.data(), want.dPhiK, tol);
      expectTensorsClose(await grads[2]!.data(), want.dV, tol);
      tf.dispose([out, phiQ, phiK, v, w, ...grads]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
