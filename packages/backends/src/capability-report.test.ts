import {
  blockSparseAttentionGradKernel,
  blockSparseAttentionKernel,
  defineKernelContract,
  fusedAttentionGradKernel,
  fusedAttentionKernel,
  ropeKernel,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { gradientCoverage, kernelCoverage } from './capability-report.js';
import { WEBGL_KERNEL_IMPLEMENTATIONS, WEBGPU_KERNEL_IMPLEMENTATIONS } from './kernels/index.js';
import { type KernelRegistration, registerKernelImplementations } from './kernels/register-kernels.js';

// tfjs's kernel registry is keyed by backend name: registering a list needs no live webgl / webgpu backend.
const registered: KernelRegistration[] = [];
afterEach(() => {
  for (const r of registered.splice(0)) tf.unregisterKernel(r.kernelName, r.backendName);
});
const register = (kernelName: string, backendName: string) => {
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc: () => ({ dataId: {}, shape: [], dtype: 'float32' }),
  });
  registered.push({ kernelName, backendName });
};

/** A contract with a kernel but no gradient (defined once per test process). */
const noGradientKernel = defineKernelContract<{ x: tf.Tensor }, object>({
  name: 'EATestNoGradient',
  inputNames: ['x'],
  reference: ({ x }) => tf.clone(x),
});

describe('the capability report per backend: forward kernels (kernelCoverage) and backward (gradientCoverage)', () => {
  it('webgpu: forward and backward kernels for dense and block-sparse attention', () => {
    registered.push(...registerKernelImplementations(WEBGPU_KERNEL_IMPLEMENTATIONS, undefined).added);
    const kernels = kernelCoverage('webgpu');
    for (const c of [fusedAttentionKernel, fusedAttentionGradKernel, blockSparseAttentionKernel]) {
      expect(kernels[c.name], c.name).toBe('kernel');
    }
    expect(kernels[blockSparseAttentionGradKernel.name]).toBe('kernel');
    const gradients = gradientCoverage('webgpu');
    expect(gradients[fusedAttentionKernel.name]).toBe('kernel');
    expect(gradients[blockSparseAttentionKernel.name]).toBe('kernel');
    expect(gradients[ropeKernel.name]).toBe('kernel');
    // Backward contracts are listed by kernelCoverage, not as contracts to differentiate.
    expect(Object.keys(gradients)).not.toContain(fusedAttentionGradKernel.name);
    expect(Object.keys(gradients)).not.toContain(blockSparseAttentionGradKernel.name);
  });

  it('webgl: forward kernels everywhere; the attention gradients run their tfjs-ops references', () => {
    registered.push(...registerKernelImplementations(WEBGL_KERNEL_IMPLEMENTATIONS, undefined).added);
    const kernels = kernelCoverage('webgl');
    expect(kernels[fusedAttentionKernel.name]).toBe('kernel');
    expect(kernels[blockSparseAttentionKernel.name]).toBe('kernel');
    expect(kernels[fusedAttentionGradKernel.name]).toBe('reference');
    expect(kernels[blockSparseAttentionGradKernel.name]).toBe('reference');
    const gradients = gradientCoverage('webgl');
    expect(gradients[fusedAttentionKernel.name]).toBe('reference');
    expect(gradients[blockSparseAttentionKernel.name]).toBe('reference');
    // RoPE's gradient is the rotation by −θ through its own (webgl) kernel.
    expect(gradients[ropeKernel.name]).toBe('kernel');
  });

  it('backward is a kernel only when the forward and every backward contract its gradient runs have one', () => {
    const backend = 'ea-capability-test';
    expect(gradientCoverage(backend)[fusedAttentionKernel.name]).toBe('reference');
    register(fusedAttentionKernel.name, backend);
    expect(kernelCoverage(backend)[fusedAttentionKernel.name]).toBe('kernel');
    expect(gradientCoverage(backend)[fusedAttentionKernel.name]).toBe('reference');
    register(fusedAttentionGradKernel.name, backend);
    expect(gradientCoverage(backend)[fusedAttentionKernel.name]).toBe('kernel');
    // A backward kernel without its forward kernel is never reached: the forward's reference runs, so does
    // tfjs's autograd of it.
    register(blockSparseAttentionGradKernel.name, backend);
    expect(gradientCoverage(backend)[blockSparseAttentionKernel.name]).toBe('reference');
  });

  it('a contract without a registered gradient trains through its reference even with a kernel', () => {
    const backend = 'ea-capability-test';
    register(noGradientKernel.name, backend);
    expect(kernelCoverage(backend)[noGradientKernel.name]).toBe('kernel');
    expect(gradientCoverage(backend)[noGradientKernel.name]).toBe('reference');
  });
});
