import { InvalidArgumentError } from '../errors.js';
import type { AttentionDims } from '../types.js';
import { assertNumber } from '../validation.js';

/**
 * The `scale` rule of the attention kernel contracts (`EAFusedAttention`, `EABlockSparseAttention`), shared
 * by their attribute resolution: absent means 1/√headDim (as in every attention function of this
 * library); otherwise a finite number > 0 — NaN, ±∞, 0 and negative scales throw an
 * {@link InvalidArgumentError} naming `attrs.scale`.
 *
 * @example
 * ```ts
 * resolveAttentionScale('EAFusedAttention', dims, undefined); // 1 / √dims.headDim
 * resolveAttentionScale('EAFusedAttention', dims, Number.NaN); // throws: `attrs.scale` must be a finite number > 0
 * ```
 */
export function resolveAttentionScale(fn: string, dims: AttentionDims, scale: unknown): number {
  if (scale === undefined) return 1 / Math.sqrt(dims.headDim);
  assertNumber(fn, 'attrs.scale', scale, { positive: true });
  return scale;
}

/**
 * The `causal` rule of the attention kernel contracts: absent means `false`; anything but a boolean throws
 * an {@link InvalidArgumentError} naming `attrs.causal` (a string such as `"yes"` is not taken as true).
 *
 * @example
 * ```ts
 * resolveCausal('EAFusedAttention', undefined); // false
 * resolveCausal('EAFusedAttention', 'yes'); // throws: `attrs.causal` must be a boolean, received "yes"
 * ```
 */
export function resolveCausal(fn: string, causal: unknown): boolean {
  if (causal === undefined) return false;
  if (typeof causal !== 'boolean') throw new InvalidArgumentError(fn, 'attrs.causal', 'a boolean', causal);
  return causal;
}
