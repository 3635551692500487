/**
 * `@efficient-attention/linear-attention`: attention in O(N) or O(N·k) for TensorFlow.js — kernel feature maps
 * and linear attention (elu + 1, ReLU, FAVOR+ / Performer) with a causal prefix-sum form and a recurrent
 * state for decoding, Linformer, Nyströmformer and Reformer LSH attention, each registered as an attention
 * mechanism by {@link registerLinearAttention}.
 *
 * @packageDocumentation
 */

export { favorFeatures } from './favor-features.js';
export {
  type EluPlusOneFeatureMap,
  eluPlusOne,
  type FavorPlusFeatureMap,
  type FavorPlusOptions,
  FEATURE_MAP_KINDS,
  type FeatureMap,
  favorPlus,
  featureCount,
  type ReluFeatureMap,
  relu,
  resolveFeatureMap,
} from './feature-maps.js';
export { iterativePseudoInverse } from './iterative-pseudo-inverse.js';
export { type LinearAttentionOptions, linearAttention } from './linear-attention.js';
export {
  createLinearAttentionState,
  type LinearAttentionState,
  type LinearAttentionStateOptions,
  linearAttentionStep,
} from './linear-attention-state.js';
export {
  createLinformerProjections,
  LINFORMER_SHARING,
  type LinformerAttentionOptions,
  type LinformerProjections,
  type LinformerProjectionsOptions,
  type LinformerSharing,
  linformerAttention,
} from './linformer.js';
export { type LshAttentionOptions, lshAttention } from './lsh-attention.js';
export { lshBuckets, lshRotations, sortByBucket } from './lsh-buckets.js';
export {
  createLinearAttentionDecoder,
  type LinearAttentionDecoderOptions,
} from './mechanisms/linear-decoder.js';
export {
  type LinearMechanismConfig,
  linearEluMechanism,
  linearReluMechanism,
  type PerformerConfig,
  performerMechanism,
} from './mechanisms/linear-mechanisms.js';
export {
  type LinformerConfig,
  type LinformerInstance,
  linformerMechanism,
} from './mechanisms/linformer-mechanism.js';
export { type NystromformerConfig, nystromformerMechanism } from './mechanisms/nystromformer-mechanism.js';
export { type ReformerLshConfig, reformerLshMechanism } from './mechanisms/reformer-lsh-mechanism.js';
export {
  linearAttentionMechanisms,
  registerLinearAttention,
} from './mechanisms/register-linear-attention.js';
export { type NystromAttentionOptions, nystromAttention } from './nystrom-attention.js';
export { segmentMeanMatrix } from './segment-means.js';
