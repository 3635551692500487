/**
 * `@efficient-attention/sparse-masks`: composable FlexAttention-style masks (sliding window, dilated,
 * global, random, block-local, strided/fixed, prefix-LM, documents, attention sinks, Longformer, BigBird,
 * Star-Transformer), their compilation to block masks, and block-sparse attention that skips masked blocks.
 *
 * @packageDocumentation
 */

export type { BitSink } from './bit-sink.js';
export { BitSlab } from './bit-slab.js';
export {
  BLOCK_FULL,
  BLOCK_NONE,
  BLOCK_PARTIAL,
  type BlockEnumerator,
  classifyBand,
  type KeyBlockGrid,
} from './block-enumerator.js';
export { BlockMask, type BlockMaskData, type BlockMaskTensors } from './block-mask.js';
export { type BlockSparseAttentionOptions, blockSparseAttention } from './block-sparse-attention.js';
export {
  type BlockSparseConfig,
  blockSparseMechanism,
  registerSparseMasks,
  sparseMasksMechanisms,
} from './block-sparse-mechanism.js';
export { andMasks } from './combinators/and-masks.js';
export { notMask } from './combinators/not-mask.js';
export { type OffsetMaskOptions, offsetMask } from './combinators/offset-mask.js';
export { orMasks } from './combinators/or-masks.js';
export { type CreateBlockMaskOptions, createBlockMask } from './create-block-mask.js';
export { type CreateMaskOptions, createMask, createMaskArray } from './create-mask.js';
export {
  createPatternMask,
  type PatternConfig,
  patternDefinitionOf,
  resolvePatternParameters,
} from './create-pattern-mask.js';
export { definePattern, type MaskPattern, type PatternMetadata } from './mask-pattern.js';
export type {
  MaskPatternContext,
  MaskPatternDefinition,
  MaskPatternSpec,
  PatternParameters,
} from './mask-pattern-definition.js';
export {
  builtinMaskPatterns,
  createMaskPatternRegistry,
  type MaskPatternRegistry,
  maskPatterns,
} from './mask-pattern-registry.js';
export { type AttentionSinkOptions, attentionSink, attentionSinkPattern } from './patterns/attention-sink.js';
export { type BigBirdOptions, bigBird, bigBirdPattern } from './patterns/big-bird.js';
export { type BlockLocalOptions, blockLocal, blockLocalPattern } from './patterns/block-local.js';
export { type CausalOptions, causal, causalPattern } from './patterns/causal.js';
export {
  type DilatedSlidingWindowOptions,
  dilatedSlidingWindow,
  dilatedSlidingWindowPattern,
} from './patterns/dilated-sliding-window.js';
export { type DocumentMaskOptions, documentMask, documentMaskPattern } from './patterns/document-mask.js';
export { type FixedOptions, fixed, fixedPattern } from './patterns/fixed.js';
export { type GlobalTokensOptions, globalTokens, globalTokensPattern } from './patterns/global-tokens.js';
export { type LongformerOptions, longformer, longformerPattern } from './patterns/longformer.js';
export { type PrefixLMOptions, prefixLM, prefixLMPattern } from './patterns/prefix-lm.js';
export {
  type RandomPatternOptions,
  randomPattern,
  randomPatternDefinition,
} from './patterns/random-pattern.js';
export { type SlidingWindowOptions, slidingWindow, slidingWindowPattern } from './patterns/sliding-window.js';
export {
  type StarTransformerOptions,
  starTransformer,
  starTransformerPattern,
} from './patterns/star-transformer.js';
export { type StridedOptions, strided, stridedPattern } from './patterns/strided.js';
export type { WindowExtent } from './patterns/window-extent.js';
