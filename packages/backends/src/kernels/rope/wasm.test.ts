import { hasKernelFor, ropeKernel } from '@efficient-attention/core';
import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';
import { expectNaNRule } from '../fused-attention/testing/nan-rule-cases.js';

// Both layouts, full and partial rotary dims (including half-split with rotaryDim not dividing headDim, and
// rotary halves that are not multiples of the 4-lane SIMD step).
const CASES = [
  { b: 1, h: 2, n: 17, d: 64, rotaryDim: 64, layout: 'half-split' as const },
  { b: 2, h: 1, n: 9, d: 12, rotaryDim: 10, layout: 'half-split' as const },
  { b: 1, h: 3, n: 33, d: 16, rotaryDim: 8, layout: 'interleaved' as const },
  { b: 1, h: 1, n: 5, d: 6, rotaryDim: 6, layout: 'interleaved' as const },
];

describeBackends('ropeWasm', (backend) => {
  beforeAll(async () => {
    await registerWasmKernels({ threads: 1 });
  });
  afterAll(() => unregisterWasmKernels());

  it('is registered for the backend', () => {
    expect(hasKernelFor(ropeKernel, backend)).toBe(true);
  });

  CASES.forEach((c, i) => {
    it(`follows the NaN rule: a NaN or ±∞ reaches its rotation pair only (${c.layout}, d=${c.d})`, () => {
      const data = Float32Array.from(seededTensor([c.b, c.h, c.n, c.d], 60 + i).data);
      data[3] = Number.NaN; // a rotated dimension (or its pair) of row 0
      data[data.length - 1] = Number.POSITIVE_INFINITY; // the last dimension of the last row
      data[c.d * 2 + 1] = Number.NEGATIVE_INFINITY;
      const x = tf.tensor(data, [c.b, c.h, c.n, c.d]);
      const angles = tf.outerProduct(
        tf.range(0, c.n),
        tf.tensor1d(Array.from({ length: c.rotaryDim / 2 }, (_, j) => 10000 ** ((-2 * j) / c.rotaryDim))),
      );
      const inputs = { x, cos: tf.cos(angles), sin: tf.sin(angles) };
      const attrs = { layout: c.layout, rotaryDim: c.rotaryDim };
      const expected = ropeKernel.reference(inputs, attrs);
      const out = ropeKernel.run(inputs, attrs);
      expectNaNRule(out.dataSync(), expected.dataSync(), `${backend} ${c.layout}`);
      expect(out.dataSync().filter(Number.isNaN).length).toBeGreaterThan(0);
      tf.dispose([x, angles, expected, out, ...Object.values(inputs)]);
    });

    it(`equals the tfjs-ops reference (${c.layout}, d=${c.d}, rotaryDim=${c.rotaryDim})`, () => {
      const x = seededTensor([c.b, c.h, c.n, c.d], 50 + i).tensor;
      const angles = tf.outerProduct(
        tf.range(0, c.n),
        tf.tensor1d(Array.from({ length: c.rotaryDim / 2 }, (_, j) => 10000 ** ((-2 * j) / c.rotaryDim))),
      );
      const inputs = { x, cos: tf.cos(angles), sin: tf.sin(angles) };
      const attrs = { layout: c.layout, rotaryDim: c.rotaryDim };
      const expected = ropeKernel.reference(inputs, attrs);
      expectNoLeaks(() => {
        const out = ropeKernel.run(inputs, attrs);
        // One rotation of N(0, 1) values: float32 rounding of two products and a sum.
        expectTensorsClose(out, expected, { atol: 1e-6, rtol: 1e-5 });
        return out;
      });
      tf.dispose([x, angles, expected, ...Object.values(inputs)]);
    });

    it(`trains through the kernel: float64 gradients of x and both tables (${c.layout}, d=${c.d}, rotaryDim=${c.rotaryDim})`, () => {
      const x = seededTensor([c.b, c.h, c.n, c.d], 70 + i);
      // Arbitrary tables (xPos / YaRN amplitudes: not unit-norm) and output weights.
      const cos = seededTensor([c.n, c.rotaryDim / 2], 80 + i);
      const sin = seededTensor([c.n, c.rotaryDim / 2], 90 + i);
      const w = seededTensor([c.b, c.h, c.n, c.d], 100 + i);
      const attrs = { layout: c.layout, rotaryDim: c.rotaryDim };
      // Closed forms of ∂(Σ w·rope(x))/∂·, in float64: dx is the rotation of w by −θ; dcos, dsin sum over b·h.
      const half = c.rotaryDim / 2;
      const ex = Float64Array.from(w.data);
      const eCos = new Float64Array(c.n * half);
      const eSin = new Float64Array(c.n * half);
      for (let r = 0; r < c.b * c.h * c.n; r++) {
        const p = r % c.n;
        for (let j = 0; j < half; j++) {
          const [a, bb] = c.layout === 'half-split' ? [j, j + half] : [2 * j, 2 * j + 1];
          const [wa, wb] = [w.data[r * c.d + a]!, w.data[r * c.d + bb]!];
          const [xa, xb] = [x.data[r * c.d + a]!, x.data[r * c.d + bb]!];
          const [cs, sn] = [cos.data[p * half + j]!, sin.data[p * half + j]!];
          ex[r * c.d + a] = wa * cs + wb * sn;
          ex[r * c.d + bb] = -wa * sn + wb * cs;
          eCos[p * half + j]! += wa * xa + wb * xb;
          eSin[p * half + j]! += wb * xa - wa * xb;
        }
      }
      expectNoLeaks(() => {
        const grads = tf.grads((xi: tf.Tensor, ci: tf.Tensor, si: tf.Tensor) =>
          tf.sum(tf.mul(w.tensor, ropeKernel.run({ x: xi, cos: ci, sin: si }, attrs))),
        )([x.tensor, cos.tensor, sin.tensor]);
        // Sums of ≤ 6 float32 products of N(0, 1) values.
        expectTensorsClose(grads[0]!, ex, { atol: 1e-5, rtol: 1e-5 });
        expectTensorsClose(grads[1]!, eCos, { atol: 1e-5, rtol: 1e-5 });
        expectTensorsClose(grads[2]!, eSin, { atol: 1e-5, rtol: 1e-5 });
        return grads;
      });
      tf.dispose([x.tensor, cos.tensor, sin.tensor, w.tensor]);
    });
  });
});
