import { registerAdaptive } from '@efficient-attention/adaptive';
import { registerBitnet } from '@efficient-attention/bitnet';
import { describeRegistryConformance } from '@efficient-attention/conformance';
import { MechanismRegistry, registerCoreMechanisms } from '@efficient-attention/core';
import { registerLinearAttention } from '@efficient-attention/linear-attention';
import { registerSparseMasks } from '@efficient-attention/sparse-masks';
import { describe, expect, it } from 'vitest';

// One registry holding every package's mechanisms, filled by each package's explicit register function:
// this single test runs every registered variant against dense attention per its declared capabilities.
const registry = new MechanismRegistry();
registerCoreMechanisms(registry);
registerSparseMasks(registry);
registerLinearAttention(registry);
registerBitnet(registry);
registerAdaptive(registry);

describe('the registry of every package', () => {
  it('holds each package’s mechanisms under distinct names', () => {
    const names = registry.names();
    expect(names).toEqual(expect.arrayContaining(['dense', 'memory-efficient', 'hamming']));
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(10);
  });
});

describeRegistryConformance(registry);
