/**
 * `@efficient-attention/encodings`: positional encodings for attention — additive (sinusoidal, linear,
 * learned), rotary (RoPE with partial rotation, both layouts, position interpolation, NTK-aware and YaRN
 * scaling, xPos) and score biases (ALiBi, T5 relative buckets), plus NoPE, a registry with capabilities and
 * descriptions, and the arrays the docs' figures plot.
 *
 * @packageDocumentation
 */

export { type AlibiOptions, alibi, alibiDefinition, alibiSlopes } from './alibi.js';
export {
  defineEncoding,
  type EncodingCapabilities,
  type EncodingContext,
  type EncodingDefinition,
  type EncodingDescription,
  type EncodingSpec,
} from './encoding-definition.js';
export {
  createEncodingRegistry,
  type EncodingRegistry,
  encodingDefinitions,
  positionalEncodings,
  registerEncodings,
} from './encoding-registry.js';
export {
  type DistanceCurve,
  type DotProductVsDistanceOptions,
  dotProductVsDistance,
  type EncodingMatrixOptions,
  encodingMatrix,
} from './figure-data.js';
export {
  type LearnedPositionOptions,
  learnedPosition,
  learnedPositionDefinition,
} from './learned-position.js';
export { type LinearPositionOptions, linearPosition, linearPositionDefinition } from './linear-position.js';
export { nope, nopeDefinition } from './nope.js';
export { type RopeOptions, rope, ropeDefinition } from './rope.js';
export {
  type RopeFrequencies,
  type RopeFrequencyOptions,
  type RopeScaling,
  ropeFrequencies,
} from './rope-frequencies.js';
export { type SinusoidalOptions, sinusoidal, sinusoidalDefinition } from './sinusoidal.js';
export {
  type T5BucketOptions,
  type T5RelativeBiasOptions,
  t5RelativeBias,
  t5RelativeBiasDefinition,
  t5RelativePositionBucket,
} from './t5-relative-bias.js';
export type {
  AdditiveEncoding,
  AdditiveOptions,
  BiasEncoding,
  BiasOptions,
  EncodingBase,
  EncodingKind,
  NoEncoding,
  PositionalEncoding,
  Positions,
  RotaryApplyOptions,
  RotaryEncoding,
  RotateOptions,
} from './types.js';
export type { XposOptions } from './xpos.js';
