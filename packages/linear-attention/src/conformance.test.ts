import { describeMechanismConformance } from '@efficient-attention/conformance';
import { createMechanismRegistry } from '@efficient-attention/core';
import { registerLinearAttention } from './mechanisms/register-linear-attention.js';

// Every mechanism this package registers, against dense attention per its declared capabilities.
const registry = createMechanismRegistry();
registerLinearAttention(registry);
for (const definition of registry.list()) describeMechanismConformance(definition);
