import { hashSeed } from '@efficient-attention/core';
import { referenceAttention, seededNormalValues } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect } from 'vitest';

/**
 * Property cases for the NaN rule (ARCHITECTURE.md; core's README "NaN and infinities") on the attention
 * kernels: unit-normal q, k, v with NaN and ±∞ injected at random positions, checked against the float64
 * `referenceAttention` of test-utils — NaN exactly where it is NaN, the same infinity where it is infinite,
 * values within float32 tolerance elsewhere.
 */

/** One non-finite value put at flat index `at` (mod the tensor's size). */
export interface Poison {
  at: number;
  value: number;
}

export interface PoisonedShape {
  batch: number;
  kvHeads: number;
  group: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  causal: boolean;
  seed: number;
  q: Poison[];
  k: Poison[];
  v: Poison[];
}

const poison = fc.record({
  at: fc.nat(1_000_000),
  value: fc.constantFrom(Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
});

/**
 * Random shapes (odd lengths, qLen ≠ kvLen, grouped-query heads, head dims off the 8-lane padding, lengths
 * past the wasm kernel's 128-key score tile) with up to two non-finite values in each of q, k, v.
 */
export function poisonedShapeArbitrary(maxLen = 150): fc.Arbitrary<PoisonedShape> {
  return fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    kvHeads: fc.integer({ min: 1, max: 2 }),
    group: fc.integer({ min: 1, max: 2 }),
    qLen: fc.integer({ min: 1, max: maxLen }),
    kvLen: fc.integer({ min: 1, max: maxLen }),
    headDim: fc.integer({ min: 1, max: 20 }),
    valueDim: fc.integer({ min: 1, max: 12 }),
    causal: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    q: fc.array(poison, { maxLength: 2 }),
    k: fc.array(poison, { maxLength: 2 }),
    v: fc.array(poison, { maxLength: 2 }),
  });
}

function values(size: number, seed: number, poisons: Poison[]): Float32Array {
  const data = seededNormalValues(size, seed);
  for (const p of poisons) data[p.at % size] = p.value;
  return data;
}

/** The case's q, k, v data and shapes (heads = kvHeads · group). */
export function poisonedInputs(p: PoisonedShape) {
  const heads = p.kvHeads * p.group;
  const shapes = {
    q: [p.batch, heads, p.qLen, p.headDim],
    k: [p.batch, p.kvHeads, p.kvLen, p.headDim],
    v: [p.batch, p.kvHeads, p.kvLen, p.valueDim],
  };
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const data = {
    q: values(size(shapes.q), p.seed, p.q),
    k: values(size(shapes.k), p.seed + 1, p.k),
    v: values(size(shapes.v), p.seed + 2, p.v),
  };
  return {
    heads,
    data,
    tensors: () => ({
      q: tf.tensor(data.q, shapes.q),
      k: tf.tensor(data.k, shapes.k),
      v: tf.tensor(data.v, shapes.v),
    }),
    /** The float64 reference output, `[batch, heads, qLen, valueDim]`. */
    reference: (
      allowed?: (b: number, h: number, q: number, kv: number) => boolean,
      scale = 1 / Math.sqrt(p.headDim),
    ) =>
      referenceAttention(
        {
          ...data,
          batch: p.batch,
          heads,
          kvHeads: p.kvHeads,
          qLen: p.qLen,
          kvLen: p.kvLen,
          headDim: p.headDim,
          valueDim: p.valueDim,
        },
        { scale, causal: p.causal, ...(allowed ? { allowed } : {}) },
      ).output,
  };
}

/** A pattern with full, partial and skipped blocks: a band, scattered keys, and some rows with no key. */
export function bandedRandomAllowed(seed: number, band: number, density: number) {
  return (b: number, h: number, q: number, kv: number): boolean => {
    if ((q + seed) % 11 === 5) return false; // an entirely masked row
    if (Math.abs(q - kv) <= band) return true;
    return (hashSeed(seed, b, h, q, kv) >>> 0) / 2 ** 32 < density;
  };
}

/** float32 kernels against float64 over ≤ 150 keys of unit normals (the reference tests' tolerance). */
export const NAN_RULE_TOLERANCE = { atol: 3e-5, rtol: 3e-4 };

/**
 * Asserts the NaN rule elementwise: NaN exactly where `expected` is NaN, the same infinity where it is
 * infinite, and within {@link NAN_RULE_TOLERANCE} elsewhere (never a silent zero for a NaN).
 */
export function expectNaNRule(got: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: output size`).toBe(expected.length);
  const { atol, rtol } = NAN_RULE_TOLERANCE;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const g = got[i]!;
    if (Number.isNaN(e)) {
      if (!Number.isNaN(g)) expect.fail(`${what}: element ${i} is ${g}, expected NaN (it sees a NaN)`);
    } else if (!Number.isFinite(e)) {
      if (g !== e) expect.fail(`${what}: element ${i} is ${g}, expected ${e}`);
    } else if (!(Math.abs(g - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`${what}: element ${i} is ${g}, expected ${e}`);
    }
  }
}

export { compileBlockMask } from '@efficient-attention/test-utils';
