/**
 * Test helpers shared by every package (private): per-backend suites, seeded tensors with float64 copies,
 * tolerance-aware comparison, leak checks, and the independent float64 attention reference.
 */

export {
  type AttentionCase,
  type AttentionCaseParams,
  attentionCaseArbitrary,
  buildAttentionCase,
  caseMaskPredicate,
} from './attention-cases.js';
export { describeBackends, NODE_BACKENDS, type TestBackend, useBackend } from './backends.js';
export { finiteDifferenceGradient } from './finite-difference.js';
export { readmeSnippet, runReadmeSnippet } from './readme-snippet.js';
export {
  type ReferenceAttentionInputs,
  type ReferenceAttentionOptions,
  referenceAttention,
} from './reference-attention.js';
export {
  defaultTolerance,
  expectNoLeaks,
  expectTensorsClose,
  relativeError,
  type SeededTensor,
  seededNormalValues,
  seededTensor,
} from './tensors.js';
