import { describeMechanismConformance } from '@efficient-attention/conformance';
import { createMechanismRegistry } from '@efficient-attention/core';
import { registerAdaptive } from './register-adaptive.js';

// The registry-driven conformance suite for every mechanism this package registers: 'adaptive-span' is
// exact (block-sparse execution vs dense attention with the same span score modifier); the others compute
// different functions on purpose and are checked for shape, finiteness, causal support, leaks and gradients.
const registry = createMechanismRegistry();
registerAdaptive(registry);
for (const def of registry.list()) describeMechanismConformance(def);
