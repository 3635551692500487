import { createRegistry, type Registry } from '@efficient-attention/core';
import type { MaskPatternDefinition } from './mask-pattern-definition.js';
import { attentionSinkPattern } from './patterns/attention-sink.js';
import { bigBirdPattern } from './patterns/big-bird.js';
import { blockLocalPattern } from './patterns/block-local.js';
import { causalPattern } from './patterns/causal.js';
import { dilatedSlidingWindowPattern } from './patterns/dilated-sliding-window.js';
import { documentMaskPattern } from './patterns/document-mask.js';
import { fixedPattern } from './patterns/fixed.js';
import { globalTokensPattern } from './patterns/global-tokens.js';
import { longformerPattern } from './patterns/longformer.js';
import { prefixLMPattern } from './patterns/prefix-lm.js';
import { randomPatternDefinition } from './patterns/random-pattern.js';
import { slidingWindowPattern } from './patterns/sliding-window.js';
import { starTransformerPattern } from './patterns/star-transformer.js';
import { stridedPattern } from './patterns/strided.js';

/**
 * A registry of mask patterns (core's `createRegistry` over {@link MaskPatternDefinition}s), so that JSON
 * model configs can name masks (`block-sparse` mechanism configs look patterns up in one). Registering a
 * name twice throws. Explicit typed registries as in xformers; masks as in FlexAttention
 * (https://arxiv.org/abs/2412.05496).
 *
 * @example
 * ```ts
 * const patterns: MaskPatternRegistry = createMaskPatternRegistry(builtinMaskPatterns);
 * patterns.get('longformer').options.radius.description;
 * ```
 */
export type MaskPatternRegistry = Registry<string, MaskPatternDefinition>;

/**
 * The built-in patterns, in table order: every pattern this package exports (each definition links its
 * paper). Adding a pattern = its file (function + definition) + its test + one line here.
 *
 * @example
 * ```ts
 * builtinMaskPatterns.map((d) => d.name); // ['causal', 'sliding-window', 'dilated-sliding-window', …]
 * ```
 */
export const builtinMaskPatterns: readonly MaskPatternDefinition[] = Object.freeze([
  causalPattern,
  slidingWindowPattern,
  dilatedSlidingWindowPattern,
  globalTokensPattern,
  randomPatternDefinition,
  blockLocalPattern,
  stridedPattern,
  fixedPattern,
  prefixLMPattern,
  documentMaskPattern,
  attentionSinkPattern,
  longformerPattern,
  bigBirdPattern,
  starTransformerPattern,
]);

/**
 * A new pattern registry holding `definitions` (default: none). Use it for a set of patterns of your own;
 * {@link maskPatterns} is the default one.
 *
 * @example
 * ```ts
 * const registry = createMaskPatternRegistry(builtinMaskPatterns.filter((d) => d.name === 'causal'));
 * registry.names(); // ['causal']
 * ```
 */
export function createMaskPatternRegistry(
  definitions: Iterable<MaskPatternDefinition> = [],
): MaskPatternRegistry {
  return createRegistry<string, MaskPatternDefinition>({
    kind: 'mask pattern',
    hint: 'Register it with maskPatterns.register(definition).',
    definitions,
  });
}

/**
 * The default pattern registry, holding {@link builtinMaskPatterns}. `block-sparse` mechanism configs name
 * patterns from it; add your own with `maskPatterns.register(definition)`. FlexAttention:
 * https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * maskPatterns.names(); // ['attention-sink', 'bigbird', 'block-local', 'causal', …]
 * ```
 */
export const maskPatterns: MaskPatternRegistry =
  /* @__PURE__ */ createMaskPatternRegistry(builtinMaskPatterns);
