import {
  type AllowedPredicate,
  type ReferenceAttentionInputs,
  referenceAttentionGrad,
} from '@efficient-attention/test-utils';
import type * as tf from '@tensorflow/tfjs-core';
import {
  expectNaNRule,
  type PoisonedShape,
  poisonedInputs,
} from '../../../kernels/fused-attention/testing/nan-rule-cases.js';

/** One case of {@link expectNaNRuleOnWebGPU}: poisoned q, k, v and the keys each query may see. */
export interface NaNRuleCase {
  shape: PoisonedShape;
  /** Which keys each query sees, besides `shape.causal` (the float64 reference's `allowed`); default all. */
  allowed?: AllowedPredicate;
}

/**
 * The float64 log-sum-exp of each row's visible scaled scores, `[batch, heads, qLen]` (test-utils'
 * `referenceAttentionGrad`): −∞ for a row that sees no key, NaN for a row whose visible scores hold a NaN
 * or +∞, or are all −∞.
 */
export function referenceLogSumExp(
  inputs: ReferenceAttentionInputs,
  options: { scale?: number; causal?: boolean; allowed?: AllowedPredicate } = {},
): Float64Array {
  const dOut = new Float64Array(inputs.batch * inputs.heads * inputs.qLen * inputs.valueDim);
  return referenceAttentionGrad(inputs, dOut, options).logSumExp;
}

/**
 * The NaN-rule property on a webgpu attention kernel (core's README, "NaN and infinities"): for each case,
 * `run` calls the kernel on the case's poisoned q, k, v (unit normals with NaN and ±∞ injected) and returns
 * its outputs `[out, logSumExp?]`; the output must be NaN exactly where the float64 reference is NaN, the
 * same infinity where it is infinite and within float32 tolerance elsewhere, and so must the row log-sum-exp
 * (−∞ for rows that see no key). Every tensor is disposed.
 *
 * @example
 * ```ts
 * await expectNaNRuleOnWebGPU(cases, (c, { q, k, v }) =>
 *   fusedAttentionKernel.runOutputs({ q, k, v }, { causal: c.shape.causal }));
 * ```
 */
export async function expectNaNRuleOnWebGPU<C extends NaNRuleCase>(
  cases: readonly C[],
  run: (c: C, qkv: { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor }) => tf.Tensor[],
  describe: (c: C) => string = (c) => JSON.stringify(c),
): Promise<void> {
  for (const c of cases) {
    const poisoned = poisonedInputs(c.shape);
    const qkv = poisoned.tensors();
    const outputs = run(c, qkv);
    const [out, lse] = await Promise.all(outputs.map((t) => t.data()));
    for (const t of [...Object.values(qkv), ...outputs]) t.dispose();
    const what = describe(c);
    expectNaNRule(out!, poisoned.reference(c.allowed), what);
    if (lse !== undefined) {
      const p = c.shape;
      const expected = referenceLogSumExp(
        { ...p, heads: poisoned.heads, ...poisoned.data },
        { causal: p.causal, ...(c.allowed ? { allowed: c.allowed } : {}) },
      );
      expectNaNRule(lse, expected, `${what}: logSumExp`);
    }
  }
}
