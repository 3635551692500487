/**
 * `@efficient-attention/transformer`: composable, trainable transformer building blocks — multi-head
 * attention over any registered mechanism and positional encoding, float or BitNet projections, a pre-norm
 * block, a small causal LM and sequence classifier described by JSON configs, training steps, save/load
 * through tfjs IO handlers, attention maps, and incremental decoding.
 *
 * @packageDocumentation
 */

export { attentionProbabilities } from './attention-probabilities.js';
export { createDecoder, type Decoder, type DecoderOptions, type GenerateOptions } from './decoder.js';
export { fileSystemIO } from './file-system-io.js';
export { resolveLoadHandler, resolveSaveHandler } from './io-handlers.js';
export {
  createLayerCache,
  type DecodingStrategy,
  decodingPlan,
  decodingStrategy,
  type LayerCache,
} from './layer-cache.js';
export { loadModel } from './load-model.js';
export { ARTIFACTS_FORMAT, decodeModelArtifacts, encodeModelArtifacts } from './model-artifacts.js';
export {
  type MaskPatternConfig,
  type ModelConfig,
  type ResolvedModelConfig,
  validateModelConfig,
} from './model-config.js';
export {
  createMultiHeadAttention,
  type HeadTensors,
  type MultiHeadAttention,
  type MultiHeadAttentionOptions,
} from './multi-head-attention.js';
export { createProjection, type Projection } from './projection.js';
export { type TransformerRegistries, transformerRegistries } from './registries.js';
export { tokenCrossEntropy } from './token-cross-entropy.js';
export { type TrainStepOptions, trainStep } from './train-step.js';
export {
  createTransformerBlock,
  type TransformerBlock,
  type TransformerBlockOptions,
} from './transformer-block.js';
export { type ApplyOptions, createModel, type TransformerModel } from './transformer-model.js';
