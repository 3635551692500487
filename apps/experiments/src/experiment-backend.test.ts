import { fusedAttentionKernel, hasKernelFor } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendSetup, initExperimentBackend, initWorkerBackend } from './experiment-backend.js';
import { trainingBackend } from './training-runs.js';

describe('initExperimentBackend', () => {
  it('auto takes initBackend’s Node order: wasm, with the WebAssembly kernels registered', async () => {
    const report = await initExperimentBackend('auto', { threads: 1 });
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.tried[0]).toMatchObject({ backend: 'wasm', ok: true });
    expect(report.kernels.EAFusedAttention).toBe('kernel');
    expect(hasKernelFor(fusedAttentionKernel, 'wasm')).toBe(true);
    expect(report.wasm.kernelThreads).toBe(1);
  });

  it('a named backend is the one set up, and its report lists every kernel contract', async () => {
    const report = await initExperimentBackend('cpu', { threads: 1 });
    expect(report.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(report.tried.map((t) => t.backend)).toEqual(['cpu']);
    for (const name of ['EAFusedAttention', 'EABlockSparseAttention', 'EACausalLinearAttention', 'EARope']) {
      expect(report.kernels[name]).toBe('kernel');
    }
  });

  it('webgpu runs on Dawn when it finds an adapter, else stops with a sentence saying what Dawn needs', async () => {
    // Dawn loads libvulkan when the process starts its first adapter request: only a process started with
    // LD_LIBRARY_PATH holding it (Debian ships it in /usr/lib/chromium) gets SwiftShader's adapter.
    const dawnCanStart = (process.env.LD_LIBRARY_PATH ?? '').includes('/usr/lib/chromium');
    const result = initExperimentBackend('webgpu');
    if (dawnCanStart) {
      const report = await result;
      expect(report.backend).toBe('webgpu');
      expect(report.kernels.EAFusedAttention).toBe('kernel');
    } else {
      await expect(result).rejects.toThrow(
        /^experiments: --backend webgpu: Dawn found no WebGPU adapter\. Dawn needs a Vulkan driver: .*LD_LIBRARY_PATH=\/usr\/lib\/chromium VK_ICD_FILENAMES=.*or pick --backend wasm\.$/,
      );
    }
    await tf.setBackend('cpu');
  });
});

describe('the setup workers replay', () => {
  it('carries the backend, kernel threads and kernel map; training runs share the threads', async () => {
    const report = await initExperimentBackend('cpu', { threads: 2 });
    const setup = backendSetup(report);
    expect(setup).toEqual({ backend: 'cpu', kernelThreads: 2, kernels: report.kernels });
    expect(backendSetup(report, 1).kernelThreads).toBe(1);
    expect(trainingBackend({ backend: setup, jobs: 2 }).kernelThreads).toBe(1);
    expect(trainingBackend({ backend: setup, jobs: 1 }).kernelThreads).toBe(2);
    expect(trainingBackend({ backend: setup, jobs: 8 }).kernelThreads).toBe(1);
    const noKernels = { ...setup, kernelThreads: 0 };
    expect(trainingBackend({ backend: noKernels, jobs: 2 })).toBe(noKernels);
  });

  it('a worker sets up the same backend, and refuses one whose kernels differ from the CLI’s', async () => {
    const cli = backendSetup(await initExperimentBackend('wasm', { threads: 1 }));
    await tf.setBackend('cpu');
    const worker = await initWorkerBackend(cli);
    expect(worker.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(worker.kernels).toEqual(cli.kernels);
    await expect(
      initWorkerBackend({ ...cli, kernels: { ...cli.kernels, EAFusedAttention: 'reference' } }),
    ).rejects.toThrow(
      "worker backend differs from the CLI's: wasm vs wasm; EAFusedAttention kernel (CLI: reference)",
    );
    await expect(
      initWorkerBackend({ ...cli, kernels: { ...cli.kernels, EANoSuchKernel: 'kernel' } }),
    ).rejects.toThrow('EANoSuchKernel missing (CLI: kernel)');
  });
});
