import {
  attentionMechanisms,
  type MechanismDefinition,
  type MechanismRegistry,
} from '@efficient-attention/core';
import { entmax15Mechanism, entmaxAlphaMechanism, sparsemaxMechanism } from './normalizer-mechanisms.js';
import { adaptiveSpanMechanism, dynamicSpanMechanism } from './span-mechanisms.js';

/**
 * The mechanisms {@link registerAdaptive} adds, in registration order (adaptive span: Sukhbaatar et al. 2019,
 * https://arxiv.org/abs/1905.07799; adaptively sparse: Correia et al. 2019, https://arxiv.org/abs/1909.00015).
 *
 * @example
 * ```ts
 * adaptiveMechanisms.map((d) => d.name); // ['adaptive-span', 'dynamic-span', 'sparsemax', 'entmax15', 'entmax-alpha']
 * ```
 */
export const adaptiveMechanisms: readonly MechanismDefinition[] = Object.freeze([
  adaptiveSpanMechanism,
  dynamicSpanMechanism,
  sparsemaxMechanism,
  entmax15Mechanism,
  entmaxAlphaMechanism,
]);

/**
 * Registers this package's attention mechanisms — `adaptive-span`, `dynamic-span` (Sukhbaatar et al. 2019,
 * https://arxiv.org/abs/1905.07799), `sparsemax`, `entmax15` and `entmax-alpha` (Correia et al. 2019,
 * https://arxiv.org/abs/1909.00015) — in `registry` (default: core's `attentionMechanisms`). Explicit,
 * never on import; registering twice throws.
 *
 * @example
 * ```ts
 * import { attentionMechanisms } from '@efficient-attention/core';
 * import { registerAdaptive } from '@efficient-attention/adaptive';
 * registerAdaptive();
 * attentionMechanisms.get('adaptive-span').capabilities.family; // 'adaptive'
 * ```
 */
export function registerAdaptive(registry: MechanismRegistry = attentionMechanisms): void {
  for (const definition of adaptiveMechanisms) registry.register(definition);
}
