import { builtinMechanisms, createCatalogue } from '@efficient-attention/all';
import { describeRegistryConformance } from '@efficient-attention/conformance';
import { describe, expect, it } from 'vitest';

// One registry holding every built-in mechanism, from the one catalogue (@efficient-attention/all): this
// single test runs every registered variant against dense attention per its declared capabilities, so a new
// mechanism package is covered by being added to the catalogue.
const { mechanisms: registry } = createCatalogue();

describe('the registry of every package', () => {
  it('holds each package’s mechanisms under distinct names', () => {
    const names = registry.names();
    expect(names).toEqual(expect.arrayContaining(['dense', 'memory-efficient', 'hamming']));
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(10);
    expect(names).toEqual(builtinMechanisms.map((d) => d.name).sort());
  });
});

describeRegistryConformance(registry);
