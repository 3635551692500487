import { listKernelContracts } from '@efficient-attention/core';
import { expect, it } from 'vitest';
import {
  WASM_KERNEL_IMPLEMENTATIONS,
  WEBGL_KERNEL_IMPLEMENTATIONS,
  WEBGPU_KERNEL_IMPLEMENTATIONS,
} from './index.js';
import type { KernelBackend, KernelImplementation } from './kernel-implementation.js';

const LISTS: { [B in KernelBackend]: readonly KernelImplementation<B>[] } = {
  wasm: WASM_KERNEL_IMPLEMENTATIONS,
  webgl: WEBGL_KERNEL_IMPLEMENTATIONS,
  webgpu: WEBGPU_KERNEL_IMPLEMENTATIONS,
};
const BACKENDS = ['wasm', 'webgl', 'webgpu'] as const;
const KERNEL_IMPLEMENTATIONS: readonly KernelImplementation[] = BACKENDS.flatMap(
  (backend): readonly KernelImplementation[] => LISTS[backend],
);
const implementationsFor = (backend: KernelBackend): readonly KernelImplementation[] => LISTS[backend];

it('lists each contract once per backend, and only contracts core defines', () => {
  const keys = KERNEL_IMPLEMENTATIONS.map((k) => `${k.contract.name}/${k.backend}`);
  expect(new Set(keys).size).toBe(keys.length);
  const contracts = new Set(listKernelContracts());
  for (const k of KERNEL_IMPLEMENTATIONS) expect(contracts.has(k.contract.name)).toBe(true);
});

// Backward contracts (`…Grad`) may be missing on a backend, whose gradient then runs their tfjs-ops reference
// (issue 18: webgl may use the reference gradient); a backward kernel never comes without its forward.
const isBackward = (name: string) => name.endsWith('Grad');

it('gives every listed forward contract a kernel on all three backends', () => {
  const names = new Set(KERNEL_IMPLEMENTATIONS.map((k) => k.contract.name).filter((n) => !isBackward(n)));
  for (const backend of BACKENDS) {
    const listed = implementationsFor(backend).map((k) => k.contract.name);
    expect(new Set(listed.filter((n) => !isBackward(n)))).toEqual(names);
    for (const n of listed.filter(isBackward)) expect(listed).toContain(n.slice(0, -'Grad'.length));
    for (const k of implementationsFor(backend)) expect(k.backend).toBe(backend);
  }
});
