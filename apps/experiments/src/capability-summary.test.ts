import type { CapabilityReport } from '@efficient-attention/backends';
import { describe, expect, it } from 'vitest';
import { backendPhrase, describeCapabilities } from './capability-summary.js';

const report: CapabilityReport = {
  backend: 'wasm',
  environment: 'node',
  floatPrecision: 32,
  tried: [{ backend: 'wasm', ok: true }],
  wasm: {
    simd: true,
    relaxedSimd: false,
    kernelVariant: 'simd128',
    sharedMemory: true,
    tfjsThreads: 1,
    kernelThreads: 2,
  },
  kernels: { EARope: 'kernel', EAFusedAttention: 'kernel', EAFusedAttentionGrad: 'reference' },
  gradients: { EARope: 'kernel', EAFusedAttention: 'reference' },
};

describe('describeCapabilities', () => {
  it('prints the backend, how it was picked, the wasm facts, which contracts run a kernel and train through one', () => {
    expect(describeCapabilities('auto', report)).toEqual([
      'backend wasm (--backend auto; tried wasm)',
      'wasm: SIMD yes, relaxed SIMD no, kernel build simd128, 2 kernel threads, tfjs-wasm 1 thread',
      'kernels: EAFusedAttention, EARope',
      'tfjs-ops reference: EAFusedAttentionGrad',
      'gradients: through kernels EARope; through tfjs ops EAFusedAttention',
    ]);
  });

  it('names skipped backends with their reason, and a GPU adapter', () => {
    const lines = describeCapabilities('auto', {
      ...report,
      backend: 'webgpu',
      tried: [{ backend: 'webgpu', ok: true }],
      webgpu: { features: [], shaderF16: false, subgroups: true, adapter: 'google swiftshader' },
      wasm: { simd: true, relaxedSimd: false, sharedMemory: true, kernelThreads: 0 },
    });
    expect(lines[1]).toBe('wasm: SIMD yes, relaxed SIMD no, kernel module not loaded');
    expect(lines[2]).toBe('webgpu: adapter google swiftshader, shader-f16 no, subgroups yes');
    expect(
      describeCapabilities('auto', {
        ...report,
        backend: 'cpu',
        tried: [
          { backend: 'wasm', ok: false, reason: "not registered: import '@tensorflow/tfjs-backend-wasm'" },
          { backend: 'cpu', ok: true },
        ],
      })[0],
    ).toBe(
      "backend cpu (--backend auto; tried wasm skipped: not registered: import '@tensorflow/tfjs-backend-wasm'; cpu)",
    );
  });
});

describe('backendPhrase', () => {
  it('names the fast kernels and their threads, or says that only references run', () => {
    expect(backendPhrase({ backend: 'wasm', kernels: report.kernels, kernelThreads: 2 })).toBe(
      'wasm with kernels EAFusedAttention, EARope (wasm kernels on 2 threads)',
    );
    expect(backendPhrase({ backend: 'webgpu', kernels: { EARope: 'kernel' }, kernelThreads: 0 })).toBe(
      'webgpu with kernels EARope',
    );
    expect(backendPhrase({ backend: 'cpu', kernels: { EARope: 'reference' }, kernelThreads: 1 })).toBe(
      'cpu (tfjs-ops references only)',
    );
  });
});
