import { MechanismRegistry, registerCoreMechanisms } from '@efficient-attention/core';
import { describeRegistryConformance } from './mechanism-conformance.js';

// One registry holding every package's mechanisms; each package's register function is called here once
// as the package lands, so this single test covers every registered variant.
const registry = new MechanismRegistry();
registerCoreMechanisms(registry);

describeRegistryConformance(registry);
