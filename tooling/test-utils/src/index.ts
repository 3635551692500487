/**
 * Test helpers shared by every package (private): per-backend suites, seeded tensors with float64 copies,
 * tolerance-aware comparison, leak checks, the independent float64 attention reference, and the fuzz harness
 * (knobs, the contract check, arbitraries for shapes, non-finite values, invalid options and disposed tensors).
 */

export {
  type AttentionCase,
  type AttentionCaseParams,
  attentionCaseArbitrary,
  buildAttentionCase,
  caseMaskPredicate,
} from './attention-cases.js';
export { describeBackends, NODE_BACKENDS, type TestBackend, useBackend } from './backends.js';
export { type AllowedPredicate, compileBlockMask } from './block-mask.js';
export { finiteDifferenceGradient } from './finite-difference.js';
export {
  type ContractOptions,
  type ContractOutcome,
  createFuzzReport,
  DEFAULT_CASE_TIME_BOX_MS,
  DEFAULT_FUZZ_SEED,
  expectAllFinite,
  expectCloseWithNaNs,
  expectContract,
  expectContractAsync,
  type FuzzReport,
  fuzzParameters,
  fuzzRuns,
  fuzzSeed,
  isClearError,
  type PropertyTally,
} from './fuzz.js';
export {
  type AttentionShapeArbitraryOptions,
  attentionShapeArbitrary,
  disposedTensor,
  FUZZ_HEAD_DIMS,
  type FuzzAttentionInputs,
  type FuzzAttentionShape,
  fuzzAttentionInputs,
  fuzzValues,
  headDimArbitrary,
  invalidBooleanArbitrary,
  invalidNumberArbitrary,
  lengthArbitrary,
  NON_BOOLEANS,
  NON_NUMBERS,
  type Poison,
  poisonArbitrary,
} from './fuzz-arbitraries.js';
export {
  type InvalidOptionCase,
  invalidOptionArbitrary,
  invalidOptionValueArbitrary,
  type OptionSchemaLike,
  type OptionSpecLike,
  type SchemaArbitraryOptions,
  validOptionsArbitrary,
  validOptionValueArbitrary,
} from './option-schema-arbitrary.js';
export { readmeSnippet, runReadmeSnippet } from './readme-snippet.js';
export {
  FLOAT32_UNDERFLOW_WEIGHT,
  type ReferenceAttentionInputs,
  type ReferenceAttentionOptions,
  referenceAttention,
  underflowAmbiguous,
} from './reference-attention.js';
export { type ReferenceAttentionGradients, referenceAttentionGrad } from './reference-attention-grad.js';
export {
  type ReferenceCausalLinearGradients,
  type ReferenceCausalLinearInputs,
  type ReferenceCausalLinearOptions,
  referenceCausalLinearAttention,
  referenceCausalLinearAttentionGrad,
} from './reference-causal-linear-attention.js';
export {
  defaultTolerance,
  expectNoLeaks,
  expectTensorsClose,
  relativeError,
  type SeededTensor,
  seededNormalValues,
  seededTensor,
} from './tensors.js';
