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
