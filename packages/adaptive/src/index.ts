/**
 * `@efficient-attention/adaptive`: attention that learns how far and how sparsely to look — adaptive span
 * (a learnable span per head, executed block-sparse over the trimmed span), dynamic span (predicted per
 * position), and the adaptively sparse normalisers sparsemax, 1.5-entmax and α-entmax with learnable α.
 *
 * @packageDocumentation
 */

export { AdaptiveSpan, type AdaptiveSpanOptions } from './adaptive-span.js';
export {
  type AdaptivelySparseAttentionOptions,
  ATTENTION_NORMALIZERS,
  type AttentionNormalizer,
  adaptivelySparseAttention,
} from './adaptively-sparse-attention.js';
export { DynamicSpan, type DynamicSpanAttentionOptions, type DynamicSpanOptions } from './dynamic-span.js';
export { type EntmaxBisectOptions, entmaxBisect, MIN_ENTMAX_ALPHA } from './entmax-bisect.js';
export { entmax15 } from './entmax15.js';
export {
  type EntmaxAlphaConfig,
  entmax15Mechanism,
  entmaxAlphaFromLogit,
  entmaxAlphaMechanism,
  sparsemaxMechanism,
} from './normalizer-mechanisms.js';
export { adaptiveMechanisms, registerAdaptive } from './register-adaptive.js';
export {
  type SpanAttentionOptions,
  type SpanExecution,
  spanAttention,
  spanWindowMask,
} from './span-attention.js';
export {
  type AdaptiveSpanConfig,
  adaptiveSpanMechanism,
  type DynamicSpanConfig,
  dynamicSpanMechanism,
} from './span-mechanisms.js';
export { type SpanPenaltyOptions, spanPenalty } from './span-penalty.js';
export {
  DEFAULT_MAX_SPAN,
  DEFAULT_RAMP_SIZE,
  type SpanRampOptions,
  type SpanRampScoreModOptions,
  spanRampScoreMod,
  trimmedSpan,
} from './span-ramp.js';
export { sparsemax } from './sparsemax.js';
