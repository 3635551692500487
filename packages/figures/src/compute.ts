/**
 * `@efficient-attention/figures/compute`: the computations behind the figures, for pages that drive them
 * with their own state (the playground) or run them in a Web Worker. Importing this entry loads tfjs and
 * the packages; the main entry does not.
 *
 * @packageDocumentation
 */

export {
  type BitnetFigureData,
  type BitnetFigureParams,
  bitnetFigureData,
  type QuantizedView,
} from './bitnet-figure-data.js';
export { buildPatternMask, optionProblem, type PatternBuild } from './build-pattern.js';
export {
  COMPARED_ENCODINGS,
  type EncodingFigureParams,
  type EncodingPanel,
  encodingFigureData,
} from './encoding-figure-data.js';
export { type MaskStats, maskStats } from './mask-stats.js';
export { type AttentionMeasurement, measureAttention } from './measure-attention.js';
export { allMechanisms, type MechanismRow, mechanismRows } from './mechanism-rows.js';
export { type SpanFigureData, type SpanFigureParams, spanFigureData } from './span-figure-data.js';
