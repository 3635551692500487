import {
  attentionMechanisms,
  type MechanismDefinition,
  type MechanismRegistry,
} from '@efficient-attention/core';
import { hammingMechanism } from './hamming-mechanism.js';

/**
 * Every attention mechanism this package registers, in registration order: `hamming` (XNOR-Net,
 * https://arxiv.org/abs/1603.05279). BitNet itself is a projection (`BitLinear`), not a mechanism.
 *
 * @example
 * ```ts
 * bitnetMechanisms.map((d) => d.title); // ['Hamming (XNOR-popcount)']
 * ```
 */
export const bitnetMechanisms: readonly MechanismDefinition[] = Object.freeze([hammingMechanism]);

/**
 * Registers this package's attention mechanisms — `hamming` ({@link hammingMechanism}, experimental) — in
 * `registry` (default: core's `attentionMechanisms`). Explicit, never on import; registering twice throws.
 * Kernels and the tfjs-layers class have their own calls: `registerBitnetKernels()`,
 * `registerBitLinearLayer()`. Paper: XNOR-Net, https://arxiv.org/abs/1603.05279.
 *
 * @example
 * ```ts
 * import { attentionMechanisms } from '@efficient-attention/core';
 * import { registerBitnet } from '@efficient-attention/bitnet';
 * registerBitnet();
 * attentionMechanisms.get('hamming').capabilities.family; // 'quantized'
 * ```
 */
export function registerBitnet(registry: MechanismRegistry = attentionMechanisms): void {
  for (const definition of bitnetMechanisms) registry.register(definition);
}
