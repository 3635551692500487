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

  it('warns once which backend it fell back from and why; quiet silences it (issue 21)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    // As if '@tensorflow/tfjs-backend-wasm' had not been imported: its factory is not registered.
    const factories = (tf.engine() as unknown as { registryFactory: Record<string, unknown> })
      .registryFactory;
    const wasmFactory = factories.wasm;
    Reflect.deleteProperty(factories, 'wasm');
    const ours = () =>
      warn.mock.calls.map(([m]) => String(m)).filter((m) => m.startsWith('initBackend: fell back'));
    try {
      const report = await initBackend({ wasmKernels: false }); // Node's default order: wasm, cpu
      expect(report.backend).toBe('cpu');
      expect(ours()).toEqual([
        "initBackend: fell back to cpu: skipped wasm (not registered: import '@tensorflow/tfjs-backend-wasm'). " +
          'Pass { quiet: true } to silence this; report.tried lists the same.',
      ]);
      await initBackend({ wasmKernels: false });
      expect(ours()).toHaveLength(1); // once per process and reason
      await initBackend({ prefer: ['webgpu', 'cpu'], wasmKernels: false, quiet: true });
      expect(ours()).toHaveLength(1);
      await initBackend({ prefer: ['webgpu', 'cpu'], wasmKernels: false });
      expect(ours()[1]).toMatch(/^initBackend: fell back to cpu: skipped webgpu \(no navigator\.gpu in Node/);
      await initBackend({ prefer: ['cpu'], wasmKernels: false });
      expect(ours()).toHaveLength(2); // the first choice: nothing to say
      await expect(initBackend({ quiet: 'yes' } as never)).rejects.toThrow(
        /`options.quiet` must be a boolean, received "yes"/,
      );
    } finally {
      factories.wasm = wasmFactory;
      warn.mockRestore();
    }
  });
});
