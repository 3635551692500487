import {
  attentionMechanisms,
  type MechanismDefinition,
  type MechanismRegistry,
} from '@efficient-attention/core';
import { linearEluMechanism, linearReluMechanism, performerMechanism } from './linear-mechanisms.js';
import { linformerMechanism } from './linformer-mechanism.js';
import { nystromformerMechanism } from './nystromformer-mechanism.js';
import { reformerLshMechanism } from './reformer-lsh-mechanism.js';

/**
 * Every mechanism this package registers, in registration order (papers on each definition; e.g.
 * https://arxiv.org/abs/2006.16236 for linear attention).
 *
 * @example
 * ```ts
 * for (const def of linearAttentionMechanisms) console.log(def.name, def.capabilities.timeComplexity);
 * ```
 */
export const linearAttentionMechanisms: readonly MechanismDefinition[] = Object.freeze([
  linearEluMechanism,
  linearReluMechanism,
  performerMechanism,
  linformerMechanism,
  nystromformerMechanism,
  reformerLshMechanism,
]);

/**
 * Registers `linear-elu`, `linear-relu`, `performer`, `linformer`, `nystromformer` and `reformer-lsh` in
 * `registry` (default: core's {@link attentionMechanisms}). Nothing registers on import; registering twice
 * throws (core's registry refuses duplicate names).
 *
 * Papers: https://arxiv.org/abs/2006.16236, https://arxiv.org/abs/2009.14794, https://arxiv.org/abs/2006.04768,
 * https://arxiv.org/abs/2102.03902, https://arxiv.org/abs/2001.04451.
 *
 * @example
 * ```ts
 * import { attentionMechanisms } from '@efficient-attention/core';
 * import { registerLinearAttention } from '@efficient-attention/linear-attention';
 * registerLinearAttention();
 * attentionMechanisms.get('performer').capabilities.timeComplexity; // 'O(N·m·d)'
 * ```
 */
export function registerLinearAttention(registry: MechanismRegistry = attentionMechanisms): void {
  for (const definition of linearAttentionMechanisms) registry.register(definition);
}
