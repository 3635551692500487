import {
  type AllowedPredicate,
  type ReferenceAttentionGradients,
  referenceAttentionGrad,
  seededNormalValues,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * Cases for the attention backward kernels on webgpu, checked against test-utils' float64
 * `referenceAttentionGrad` (the analytic vector-Jacobian product with plain loops).
 */
export interface GradCase {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  causal: boolean;
}

/**
 * float32 kernels against float64, for unit-normal q, k, v, dOut over ≤ 150 keys and queries:
 * |kernel − reference| ≤ atol + rtol·|reference| (the forward tests' NaN-rule tolerance). A gradient entry
 * sums up to N products of terms up to |dP| ≈ √dv each, with P = exp(s − logSumExp) rounded to float32;
 * the worst errors seen are ≈ 3e-6 absolute.
 */
export const GRAD_TOLERANCE = { atol: 3e-5, rtol: 3e-4 };

/**
 * Random shapes from a seed (xorshift) — odd lengths, qLen ≠ kvLen, grouped-query heads — with head dims
 * and the causal flag drawn from `configs` (each distinct one compiles its own WGSL programs: seconds on
 * SwiftShader).
 */
export function randomGradCases(
  seed: number,
  count: number,
  configs: readonly Pick<GradCase, 'headDim' | 'valueDim' | 'causal'>[],
  maxLen = 120,
): GradCase[] {
  let s = seed >>> 0 || 1;
  const next = (lo: number, hi: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return lo + ((s >>> 0) % (hi - lo + 1));
  };
  return Array.from({ length: count }, () => {
    const kvHeads = next(1, 2);
    return {
      batch: next(1, 2),
      heads: kvHeads * next(1, 3),
      kvHeads,
      qLen: next(1, maxLen),
      kvLen: next(1, maxLen),
      ...configs[next(0, configs.length - 1)]!,
    };
  });
}

/** The case's seeded q, k, v, dOut (float32 values) and the float64 reference gradient. */
export function gradInputs(c: GradCase, seed: number, allowed?: AllowedPredicate) {
  const shapes = {
    q: [c.batch, c.heads, c.qLen, c.headDim],
    k: [c.batch, c.kvHeads, c.kvLen, c.headDim],
    v: [c.batch, c.kvHeads, c.kvLen, c.valueDim],
    out: [c.batch, c.heads, c.qLen, c.valueDim],
    rows: [c.batch, c.heads, c.qLen],
  };
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const data = {
    q: seededNormalValues(size(shapes.q), 4 * seed + 1),
    k: seededNormalValues(size(shapes.k), 4 * seed + 2),
    v: seededNormalValues(size(shapes.v), 4 * seed + 3),
    dOut: seededNormalValues(size(shapes.out), 4 * seed + 4),
  };
  const scale = 1 / Math.sqrt(c.headDim);
  const expected = referenceAttentionGrad({ ...c, q: data.q, k: data.k, v: data.v }, data.dOut, {
    scale,
    causal: c.causal,
    ...(allowed ? { allowed } : {}),
  });
  return {
    data,
    scale,
    expected,
    /** q, k, v, dOut, and the forward's out and logSumExp from the float64 reference (rounded to float32). */
    tensors: () => ({
      q: tf.tensor(data.q, shapes.q),
      k: tf.tensor(data.k, shapes.k),
      v: tf.tensor(data.v, shapes.v),
      dOut: tf.tensor(data.dOut, shapes.out),
      out: tf.tensor(Float32Array.from(expected.output), shapes.out),
      logSumExp: tf.tensor(Float32Array.from(expected.logSumExp), shapes.rows),
    }),
  };
}

/** Asserts dq, dk, dv against the float64 reference elementwise, naming the worst element. */
export function expectGradsClose(
  got: { dq: ArrayLike<number>; dk: ArrayLike<number>; dv: ArrayLike<number> },
  expected: ReferenceAttentionGradients,
  what: string,
  tolerance = GRAD_TOLERANCE,
): void {
  for (const name of ['dq', 'dk', 'dv'] as const) {
    const g = got[name];
    const e = expected[name];
    expect(g.length, `${what}: ${name} size`).toBe(e.length);
    let worst = -1;
    let worstExcess = 0;
    for (let i = 0; i < e.length; i++) {
      const excess = Math.abs(g[i]! - e[i]!) - (tolerance.atol + tolerance.rtol * Math.abs(e[i]!));
      if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
        worst = i;
        worstExcess = excess;
      }
    }
    if (worst >= 0) {
      expect.fail(
        `${what}: ${name}[${worst}] is ${g[worst]}, expected ${e[worst]} (${JSON.stringify(tolerance)})`,
      );
    }
  }
}

/** The query rows (flat `b·H·qLen + i`) that see no key under `visible`. */
export function rowsWithoutKeys(
  c: GradCase,
  visible: (b: number, h: number, i: number, j: number) => boolean,
) {
  const rows: number[] = [];
  for (let b = 0; b < c.batch; b++)
    for (let h = 0; h < c.heads; h++)
      for (let i = 0; i < c.qLen; i++) {
        let any = false;
        for (let j = 0; j < c.kvLen && !any; j++) any = visible(b, h, i, j);
        if (!any) rows.push((b * c.heads + h) * c.qLen + i);
      }
  return rows;
}

/** Asserts that the dq rows of queries that see no key are exactly 0 (never NaN, never a leftover). */
export function expectZeroRows(dq: ArrayLike<number>, rows: number[], headDim: number, what: string): void {
  for (const row of rows) {
    for (let t = 0; t < headDim; t++) {
      const x = dq[row * headDim + t]!;
      if (x !== 0) expect.fail(`${what}: dq of row ${row} (sees no key) has ${x} at ${t}, expected 0`);
    }
  }
}

/**
 * dq, dk, dv of Σ(out ∘ dOut) with `tf.grads` through `forward` (so through the forward contract's
 * registered gradient), and the names of the kernels that ran (tfjs's profiler): what training runs.
 */
export async function gradsThroughForward(
  forward: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor,
  inputs: { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor; dOut: tf.Tensor },
): Promise<{ dq: Float32Array; dk: Float32Array; dv: Float32Array; kernelNames: string[] }> {
  const loss = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(forward(q, k, v), inputs.dOut));
  const info = await tf.profile(() => tf.grads(loss)([inputs.q, inputs.k, inputs.v]));
  const [dq, dk, dv] = info.result as tf.Tensor[];
  const data = await Promise.all([dq!, dk!, dv!].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([dq!, dk!, dv!]);
  return { dq: data[0]!, dk: data[1]!, dv: data[2]!, kernelNames: info.kernelNames };
}
