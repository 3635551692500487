import { listKernelContracts } from '@efficient-attention/core';
import { expect, it } from 'vitest';
import { implementationsFor, KERNEL_IMPLEMENTATIONS } from './index.js';

const BACKENDS = ['wasm', 'webgl', 'webgpu'] as const;

it('lists each contract once per backend, and only contracts core defines', () => {
  const keys = KERNEL_IMPLEMENTATIONS.map((k) => `${k.contract.name}/${k.backend}`);
  expect(new Set(keys).size).toBe(keys.length);
  const contracts = new Set(listKernelContracts());
  for (const k of KERNEL_IMPLEMENTATIONS) expect(contracts.has(k.contract.name)).toBe(true);
});

it('gives every listed contract a kernel on all three backends', () => {
  const names = new Set(KERNEL_IMPLEMENTATIONS.map((k) => k.contract.name));
  for (const backend of BACKENDS) {
    expect(new Set(implementationsFor(backend).map((k) => k.contract.name))).toEqual(names);
    for (const k of implementationsFor(backend)) expect(k.backend).toBe(backend);
  }
});
