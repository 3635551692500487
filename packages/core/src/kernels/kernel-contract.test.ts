import { describeBackends, expectTensorsClose } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it, vi } from 'vitest';
import { fusedAttentionKernel } from './fused-attention.js';
import {
  defineKernelContract,
  expectKernelsOn,
  hasKernelFor,
  listKernelContracts,
} from './kernel-contract.js';

const doubleKernel = defineKernelContract<{ x: tf.Tensor }, { factor: number }>({
  name: 'EATestScale',
  inputNames: ['x'],
  reference: ({ x }, { factor }) => tf.mul(x, factor),
});

describeBackends('kernel contracts', (backend) => {
  it('run the reference when no kernel is registered, and the registered kernel when one is', () => {
    const x = tf.tensor([1, 2, 3]);
    expect(hasKernelFor(doubleKernel)).toBe(false);
    const ref = doubleKernel.run({ x }, { factor: 2 });
    expectTensorsClose(ref, [2, 4, 6]);
    tf.registerKernel({
      kernelName: doubleKernel.name,
      backendName: backend,
      // A deliberately different result proves the dispatch went to the kernel.
      kernelFunc: ({ inputs, attrs }) => {
        const input = inputs.x as tf.Tensor;
        const values = (input.dataSync() as Float32Array).map(
          (v) => v * (attrs as { factor: number }).factor + 1,
        );
        // cpu and wasm allocate outputs through different backend methods.
        const b = tf.backend() as unknown as {
          makeTensorInfo?(s: number[], d: string, v: Float32Array): tf.TensorInfo;
          makeOutput?(s: number[], d: string, offset?: number, v?: Float32Array): tf.TensorInfo;
        };
        return b.makeTensorInfo
          ? b.makeTensorInfo(input.shape, 'float32', values)
          : b.makeOutput!(input.shape, 'float32', undefined, values);
      },
    });
    try {
      expect(hasKernelFor(doubleKernel)).toBe(true);
      const fast = doubleKernel.run({ x }, { factor: 2 });
      expectTensorsClose(fast, [3, 5, 7]);
      fast.dispose();
    } finally {
      tf.unregisterKernel(doubleKernel.name, backend);
    }
    tf.dispose([x, ref]);
  });

  it('lists contracts and refuses a duplicate name', () => {
    expect(listKernelContracts()).toContain(fusedAttentionKernel.name);
    expect(() =>
      defineKernelContract({ name: 'EATestScale', inputNames: [], reference: () => tf.scalar(0) }),
    ).toThrow(/defined twice/);
  });

  it('warns once per contract and backend when a backend expecting kernels runs a reference', () => {
    const quiet = defineKernelContract<{ x: tf.Tensor }, object>({
      name: `EATestFallback_${backend}`,
      inputNames: ['x'],
      reference: ({ x }) => tf.neg(x),
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const x = tf.tensor([1, 2]);
      tf.dispose(quiet.run({ x }, {}));
      expect(warn).not.toHaveBeenCalled(); // no backend announced: silent, as before
      expectKernelsOn(backend);
      const a = quiet.run({ x }, {});
      const b = quiet.run({ x }, {});
      expectTensorsClose(a, [-1, -2]); // still the reference's result, never an error
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(
        new RegExp(`EATestFallback_${backend} has no kernel .*"${backend}"`),
      );
      tf.dispose([x, a, b]);
    } finally {
      warn.mockRestore();
    }
  });
});
