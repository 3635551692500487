import { describeMechanismConformance } from '@efficient-attention/conformance';
import { hammingMechanism } from './hamming-mechanism.js';

// The registry-driven conformance suite for this package's mechanism: accuracy 'different' → shape,
// finiteness and leak checks; causal supported → exercised.
describeMechanismConformance(hammingMechanism);
