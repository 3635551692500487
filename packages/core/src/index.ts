/**
 * `@efficient-attention/core`: the types every package shares (MaskMod, ScoreMod, attention inputs
 * `[batch, heads, seq, headDim]`), typed errors and validation, the dense reference attention,
 * memory-efficient attention, kernel contracts, seeded randomness and the mechanism registry.
 *
 * @packageDocumentation
 */

export { applyScoreMod, type ScoreBlock } from './apply-score-mod.js';
export {
  type AttentionMaskInput,
  AttentionMaskPlan,
  allFinite,
  type BlockBias,
  type BlockState,
  MASK_FILL,
  maskScores,
  NonFiniteScoreRows,
} from './attention-mask.js';
export {
  ATTENTION_OPTION_KEYS,
  type AttentionOptions,
  kvHeadOf,
  type ResolvedAttentionOptions,
  resolveAttentionOptions,
  splitHeads,
} from './attention-options.js';
export { describeValue, IncompatibleOptionsError, InvalidArgumentError, RegistryError } from './errors.js';
export * from './kernels/index.js';
export {
  type MemoryEfficientAttentionOptions,
  memoryEfficientAttention,
} from './memory-efficient-attention.js';
export { createRandom, hashSeed, type RandomSource, seededNormal } from './random.js';
export {
  coreMechanisms,
  denseMechanism,
  type MemoryEfficientConfig,
  memoryEfficientMechanism,
  registerCoreMechanisms,
} from './registry/core-mechanisms.js';
export {
  type CreateRegistryOptions,
  createRegistry,
  type Named,
  type Registry,
} from './registry/create-registry.js';
export {
  type BenchmarkCapability,
  type DecodingContext,
  type DecodingPlan,
  defineCapabilities,
  type MechanismAccuracy,
  type MechanismApplyOptions,
  type MechanismCapabilities,
  type MechanismContext,
  type MechanismDefinition,
  type MechanismInstance,
  type RecurrentDecoder,
  type RegularizationSpec,
} from './registry/mechanism.js';
export { resolveMechanismConfig } from './registry/mechanism-config.js';
export {
  attentionMechanisms,
  createMechanismRegistry,
  type MechanismRegistry,
} from './registry/mechanism-registry.js';
export {
  type BooleanOption,
  checkOption,
  defineOptions,
  type EnumOption,
  type IntegerListOption,
  type NumberOption,
  type OptionSchema,
  type OptionSpec,
  optionDefaults,
  resolveOptions,
  type StringOption,
} from './registry/option-schema.js';
export { type PaperReference, paper } from './registry/paper-reference.js';
export { type RowBlocks, type RowBlocksOptions, rowBlocks } from './row-blocks.js';
export {
  type AttentionWithWeights,
  DENSE_SCORES_BYTE_LIMITS,
  prefersPerHeadMatMul,
  type ScaledDotProductAttentionOptions,
  scaledDotProductAttention,
  scaledDotProductAttentionReference,
} from './scaled-dot-product-attention.js';
export {
  type AttentionDims,
  type MaskMod,
  type ScalarScoreMod,
  type ScoreMod,
  type ScoreModContext,
  scoreMod,
  type TensorScoreMod,
} from './types.js';
export {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  attentionDims,
  validateAttentionInputs,
} from './validation.js';
