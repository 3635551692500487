import { hasKernelFor, ternaryMatMul, ternaryMatMulKernel } from '@efficient-attention/core';
import { describeBackends, expectNoLeaks, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';
import { createWasmRuntime } from '../../runtime/wasm/wasm-runtime.js';
import { ternaryInputs } from './testing/ternary-inputs.js';
import { ternaryMatMulKernelFunc as ternaryMatMulWasm } from './wasm.js';

// Random packed words exercise every code, including those no packer emits (i2s code 3, tq1 bytes ≥ 243),
// which the kernel must decode exactly as the reference does.
const CASES = [
  { m: 1, k: 2048, n: 64, format: 'i2s' as const },
  { m: 3, k: 37, n: 5, format: 'i2s' as const },
  { m: 5, k: 1000, n: 33, format: 'i2s' as const },
  { m: 2, k: 64, n: 1, format: 'i2s' as const },
  { m: 2, k: 100, n: 9, format: 'tq1' as const },
  { m: 1, k: 1, n: 3, format: 'tq1' as const },
  { m: 4, k: 333, n: 17, format: 'tq1' as const },
];

describeBackends('ternaryMatMulWasm', (backend) => {
  beforeAll(async () => {
    await registerWasmKernels({ threads: 1 });
  });
  afterAll(() => unregisterWasmKernels());

  it('is registered for the backend', () => {
    expect(hasKernelFor(ternaryMatMulKernel, backend)).toBe(true);
  });

  CASES.forEach((c, i) => {
    it(`equals the reference bit for bit (${c.format}, M=${c.m} K=${c.k} N=${c.n})`, () => {
      const inputs = ternaryInputs(c, 1000 + i);
      const attrs = { k: c.k, n: c.n, format: c.format };
      const expected = ternaryMatMulKernel.reference(inputs, attrs);
      expectNoLeaks(() => {
        const out = ternaryMatMul(inputs, attrs);
        expectTensorsClose(out, expected, { atol: 0, rtol: 0 });
        return out;
      });
      tf.dispose([expected, ...Object.values(inputs)]);
    });
  });

  CASES.slice(1, 6).forEach((c, i) => {
    it(`trains through the kernel: float64 gradients of activations and scales, zeros for the packed weights (${c.format}, M=${c.m} K=${c.k} N=${c.n})`, () => {
      const inputs = ternaryInputs(c, 2000 + i);
      const attrs = { k: c.k, n: c.n, format: c.format };
      const a = inputs.activations.dataSync();
      const packed = inputs.weights.dataSync();
      const s = inputs.activationScales.dataSync();
      const beta = inputs.weightScale.dataSync()[0]!;
      const dy = Float32Array.from({ length: c.m * c.n }, (_, j) => Math.sin(j + 1));
      // The weights decoded from the format spec (i2s: t = 2-bit code − 1; tq1: base-3 digits of each byte − 1).
      const words = packed.length / c.n;
      const t = (row: number, j: number) => {
        if (c.format === 'i2s') return ((packed[row * words + (j >> 4)]! >>> (2 * (j & 15))) & 3) - 1;
        const byteIndex = Math.floor(j / 5);
        const byte = (packed[row * words + (byteIndex >> 2)]! >>> (8 * (byteIndex & 3))) & 255;
        return (Math.floor(byte / 3 ** (j % 5)) % 3) - 1;
      };
      const dA = new Float64Array(c.m * c.k);
      const dS = new Float64Array(c.m);
      let dBeta = 0;
      let magnitude = 0;
      for (let col = 0; col < c.n; col++) {
        for (let row = 0; row < c.m; row++) {
          let acc = 0;
          for (let j = 0; j < c.k; j++) {
            const tj = t(col, j);
            acc += a[row * c.k + j]! * tj;
            dA[row * c.k + j]! += s[row]! * beta * dy[row * c.n + col]! * tj;
          }
          dS[row]! += beta * dy[row * c.n + col]! * acc;
          dBeta += s[row]! * dy[row * c.n + col]! * acc;
          magnitude += Math.abs(dy[row * c.n + col]! * acc);
        }
      }
      const dyTensor = tf.tensor2d(dy, [c.m, c.n]);
      expectNoLeaks(() => {
        const grads = tf.grads((x, w, b, sc) =>
          tf.sum(
            tf.mul(
              dyTensor,
              ternaryMatMul({ activations: x, weights: w, weightScale: b, activationScales: sc }, attrs),
            ),
          ),
        )([inputs.activations, inputs.weights, inputs.weightScale, inputs.activationScales]);
        // dA: ≤ 33 float32 products of O(1) values; the scale gradients sum float32 terms with integer
        // parts up to 128·K: error ≤ ~1e-6 of Σ|terms|.
        expectTensorsClose(grads[0]!, dA, { atol: 1e-5, rtol: 1e-5 });
        expect(Array.from(grads[1]!.dataSync())).toEqual(new Array(grads[1]!.size).fill(0));
        expectTensorsClose(grads[2]!, [dBeta], { atol: 1e-5 * magnitude, rtol: 0 });
        expectTensorsClose(grads[3]!, dS, { atol: 1e-5 * magnitude, rtol: 0 });
        return grads;
      });
      tf.dispose([dyTensor, ...Object.values(inputs)]);
    });
  });
});

describeBackends('ternaryMatMulWasm weight cache', (backend) => {
  it('reuses packed weights by tensor, and starts over when its budget is full', async () => {
    const rt = await createWasmRuntime(1);
    // A budget of about two weight matrices of this size: the third one clears the cache.
    const kernelFunc = ternaryMatMulWasm(rt, { cacheBytes: 2 * (40 * 4 * 4 + 16) + 200 });
    const c = { m: 2, k: 50, n: 40, format: 'i2s' as const };
    const sets = [1, 2, 3].map((s) => ternaryInputs(c, 77 + s));
    const attrs = { k: c.k, n: c.n, format: c.format };
    const run = (x: (typeof sets)[number]) =>
      tf.engine().makeTensorFromTensorInfo(
        kernelFunc({
          inputs: x as unknown as tf.NamedTensorInfoMap,
          backend: tf.backend(),
          attrs: attrs as unknown as tf.NamedAttrMap,
        }) as tf.TensorInfo,
      );
    // Hits, misses and evictions in an order that would expose a stale or overwritten cache entry.
    for (const i of [0, 0, 1, 0, 1, 2, 0, 2, 1, 1]) {
      const x = sets[i]!;
      const expected = ternaryMatMulKernel.reference(x, attrs);
      const out = run(x);
      expectTensorsClose(out, expected, { atol: 0, rtol: 0 });
      tf.dispose([out, expected]);
    }
    expect(rt.arena.persistentBytes()).toBeLessThanOrEqual(2 * (40 * 4 * 4 + 16) + 200);
    expect(tf.getBackend()).toBe(backend);
    rt.terminate();
    for (const x of sets) tf.dispose(Object.values(x));
  });
});
