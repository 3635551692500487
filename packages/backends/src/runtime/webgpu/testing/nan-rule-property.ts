import {
  type AllowedPredicate,
  type ReferenceAttentionInputs,
  referenceAttentionGrad,
  seededNormalValues,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import {
  expectNaNRule,
  type PoisonedShape,
  poisonedInputs,
} from '../../../kernels/fused-attention/testing/nan-rule-cases.js';
import { gradsThroughForward } from './attention-grad-cases.js';

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

/**
 * The NaN rule for gradients: for each case, `tf.grads` of Σ(out ∘ dOut) through `forward` (a forward
 * contract whose registered gradient runs the backward kernel) on the case's poisoned q, k, v and a finite
 * dOut; dq, dk, dv must be NaN exactly where test-utils' float64 `referenceAttentionGrad` is NaN, the same
 * infinity where it is infinite and within float32 tolerance elsewhere — in particular 0, never NaN, for
 * rows and keys that see nothing. No tensor is left behind (checked).
 *
 * @example
 * ```ts
 * await expectGradNaNRuleOnWebGPU(cases, (c, q, k, v) => fusedAttentionKernel.run({ q, k, v }, { causal: c.shape.causal }));
 * ```
 */
export async function expectGradNaNRuleOnWebGPU<C extends NaNRuleCase>(
  cases: readonly C[],
  forward: (c: C, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor,
  describe: (c: C) => string = (c) => JSON.stringify(c),
): Promise<void> {
  for (const c of cases) {
    const p = c.shape;
    const poisoned = poisonedInputs(p);
    const outShape = [p.batch, poisoned.heads, p.qLen, p.valueDim];
    const dOutData = seededNormalValues(
      outShape.reduce((a, b) => a * b, 1),
      p.seed + 3,
    );
    const before = tf.memory().numTensors;
    const { q, k, v } = poisoned.tensors();
    const dOut = tf.tensor(dOutData, outShape);
    let got: Awaited<ReturnType<typeof gradsThroughForward>>;
    try {
      got = await gradsThroughForward((qt, kt, vt) => forward(c, qt, kt, vt), { q, k, v, dOut });
    } finally {
      tf.dispose([q, k, v, dOut]);
    }
    expect(tf.memory().numTensors, 'tensors left after the training step').toBe(before);
    const expected = referenceAttentionGrad({ ...p, heads: poisoned.heads, ...poisoned.data }, dOutData, {
      causal: p.causal,
      ...(c.allowed ? { allowed: c.allowed } : {}),
    });
    const what = describe(c);
    for (const name of ['dq', 'dk', 'dv'] as const)
      expectNaNRule(got[name], expected[name], `${what}: ${name}`);
  }
}
