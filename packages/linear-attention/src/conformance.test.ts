import { describeMechanismConformance } from '@efficient-attention/conformance';
import { MechanismRegistry } from '@efficient-attention/core';
import { registerLinearAttention } from './mechanisms/register-linear-attention.js';

// Every mechanism this package registers, against dense attention per its declared capabilities.
const registry = new MechanismRegistry();
registerLinearAttention(registry);
for (const definition of registry.list()) describeMechanismConformance(definition);
