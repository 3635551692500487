import { fusedAttentionKernel, hasKernelFor } from '@efficient-attention/core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, expect, it } from 'vitest';
import { unregisterWasmKernels } from './runtime/wasm/register-wasm-kernels.js';

afterAll(() => unregisterWasmKernels());

it('the /wasm entry registers the kernels for wasm and cpu on import', async () => {
  const { wasmKernelsReady } = await import('./wasm.js');
  const registration = await wasmKernelsReady;
  expect(registration?.registered[fusedAttentionKernel.name]).toEqual(['wasm', 'cpu']);
  expect(hasKernelFor(fusedAttentionKernel, 'wasm')).toBe(true);
  expect(hasKernelFor(fusedAttentionKernel, 'cpu')).toBe(true);
});
