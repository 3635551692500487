import { fusedAttentionKernel, listKernelContracts } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from './init-backend.js';
import { unregisterWasmKernels } from './runtime/wasm/register-wasm-kernels.js';

describe('initBackend', () => {
  afterAll(() => unregisterWasmKernels());

  it('validates its options', async () => {
    await expect(initBackend({ prefer: ['tpu'] } as never)).rejects.toThrow(/options\.prefer/);
    await expect(initBackend({ threads: 0 })).rejects.toThrow(/options\.threads/);
    await expect(initBackend({ thread: 2 } as never)).rejects.toThrow(/thread/);
  });

  it('skips what Node lacks with a reason, picks wasm, and reports kernels per contract', async () => {
    const report = await initBackend({ prefer: ['webgpu', 'webgl', 'wasm', 'cpu'], threads: 2 });
    expect(report.environment).toBe('node');
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.floatPrecision).toBe(32);
    expect(report.tried[0]).toMatchObject({ backend: 'webgpu', ok: false });
    expect(report.tried[0]!.reason).toMatch(/navigator\.gpu/);
    expect(report.tried[1]).toMatchObject({ backend: 'webgl', ok: false });
    expect(report.wasm).toMatchObject({ simd: true, sharedMemory: true, kernelThreads: 2, tfjsThreads: 1 });
    expect(Object.keys(report.kernels).sort()).toEqual(listKernelContracts());
    for (const name of listKernelContracts().filter((n) => n.startsWith('EA') && !n.startsWith('EATest'))) {
      expect(report.kernels[name], name).toBe('kernel');
    }
  });

  it('picks cpu when asked, with the wasm kernels registered there too', async () => {
    const report = await initBackend({ prefer: ['cpu'], threads: 1 });
    expect(report.backend).toBe('cpu');
    expect(report.wasm.kernelThreads).toBe(1);
    expect(report.kernels[fusedAttentionKernel.name]).toBe('kernel');
  });

  it('warns once, never throws, when a contract has no kernel on the chosen backend', async () => {
    await initBackend({ prefer: ['cpu'], wasmKernels: false });
    unregisterWasmKernels();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const q = tf.randomNormal([1, 1, 8, 4]);
      const outs = [0, 1].map(() =>
        fusedAttentionKernel.run({ q, k: q, v: q }, { scale: 0.5, causal: false }),
      );
      expect(outs[0]!.shape).toEqual([1, 1, 8, 4]);
      // (tfjs itself may print its one-time "running in Node" notice through console.warn too.)
      const ours = warn.mock.calls.filter(([m]) => /EAFusedAttention has no kernel/.test(String(m)));
      expect(ours).toHaveLength(1);
      expect(String(ours[0]![0])).toMatch(/EAFusedAttention has no kernel registered for the "cpu" backend/);
      tf.dispose([q, ...outs]);
    } finally {
      warn.mockRestore();
    }
  });
});
