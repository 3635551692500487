import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import type { ReferenceAttentionInputs } from './reference-attention.js';
import { seededNormalValues } from './tensors.js';

/**
 * fast-check arbitraries of the fuzz suites: attention shapes (grouped-query heads, lengths 1, odd, q ≠ kv,
 * optionally 0), head dims, non-finite values injected into seeded inputs, invalid option values and
 * disposed tensors. Shapes stay small (N ≤ 64, d ≤ 80) so the default runs are fast.
 */

/** Head dims the suites try: the common 16, 64 and 80 and small odd ones. */
export const FUZZ_HEAD_DIMS: readonly number[] = Object.freeze([16, 64, 80, 1, 3, 5, 7]);

/** A head dim from {@link FUZZ_HEAD_DIMS} (or the given list). */
export function headDimArbitrary(dims: readonly number[] = FUZZ_HEAD_DIMS): fc.Arbitrary<number> {
  return fc.constantFrom(...dims);
}

/** A sequence length in `[1, max]` (or `[0, max]`), with 1, small odd lengths and `max` itself favoured. */
export function lengthArbitrary(options: { max?: number; allowZero?: boolean } = {}): fc.Arbitrary<number> {
  const max = options.max ?? 64;
  const min = options.allowZero ? 0 : 1;
  const special = [...(options.allowZero ? [0] : []), 1, 2, 3, 7, 17, 33, max].filter((n) => n <= max);
  return fc.oneof(fc.constantFrom(...special), fc.integer({ min, max }));
}

/** One attention case's dimensions (q `[batch, heads, qLen, headDim]`, k/v `[batch, kvHeads, kvLen, ·]`). */
export interface FuzzAttentionShape {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
}

/** Options of {@link attentionShapeArbitrary}. */
export interface AttentionShapeArbitraryOptions {
  /** Longest q / kv length (default 64). */
  maxLen?: number;
  /** Allow 0-length sequences (for APIs that must reject them with a clear error). Default false. */
  allowZero?: boolean;
  /** qLen = kvLen (self-attention only). Default false. */
  selfAttention?: boolean;
  /** Allow kvHeads < heads (grouped-query attention). Default true. */
  groupedQuery?: boolean;
  /** The head dims to draw from (default {@link FUZZ_HEAD_DIMS}). */
  headDims?: readonly number[];
  /** valueDim = headDim always. Default false (else sometimes a small other width). */
  sameValueDim?: boolean;
  /** Largest batch (default 2). */
  maxBatch?: number;
}

/**
 * Attention dimensions: batch 1–2, 1–2 kv heads times a group of 1–2 query heads (grouped-query attention),
 * lengths from {@link lengthArbitrary} (q ≠ kv unless `selfAttention`), head dims from
 * {@link FUZZ_HEAD_DIMS}, value dims equal to the head dim or 1–8.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(attentionShapeArbitrary({ maxLen: 32 }), (s) => { … }));
 * ```
 */
export function attentionShapeArbitrary(
  options: AttentionShapeArbitraryOptions = {},
): fc.Arbitrary<FuzzAttentionShape> {
  const len = lengthArbitrary({
    ...(options.maxLen === undefined ? {} : { max: options.maxLen }),
    ...(options.allowZero ? { allowZero: true } : {}),
  });
  const gqa = options.groupedQuery ?? true;
  return fc
    .record({
      batch: fc.integer({ min: 1, max: options.maxBatch ?? 2 }),
      kvHeads: fc.integer({ min: 1, max: 2 }),
      group: gqa ? fc.integer({ min: 1, max: 2 }) : fc.constant(1),
      qLen: len,
      kvLen: len,
      headDim: headDimArbitrary(options.headDims),
      valueDim: options.sameValueDim
        ? fc.constant(0)
        : fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 })),
    })
    .map(({ group, valueDim, ...s }) => ({
      ...s,
      heads: s.kvHeads * group,
      kvLen: options.selfAttention ? s.qLen : s.kvLen,
      valueDim: valueDim === 0 ? s.headDim : valueDim,
    }));
}

/** A non-finite value injected at a flat index (taken modulo the tensor's size) of one named input. */
export interface Poison {
  input: string;
  index: number;
  value: number;
}

/** Up to `maxCount` NaN / +∞ / −∞ injections into the named inputs (empty lists are common). */
export function poisonArbitrary(inputs: readonly string[], maxCount = 2): fc.Arbitrary<Poison[]> {
  return fc.array(
    fc.record({
      input: fc.constantFrom(...inputs),
      index: fc.nat(1_000_000),
      value: fc.constantFrom(Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    }),
    { maxLength: maxCount },
  );
}

/** Seeded unit normals (× `std`) for one input, with that input's poisons applied. */
export function fuzzValues(
  input: string,
  size: number,
  seed: number,
  poisons: readonly Poison[] = [],
  std = 1,
): Float32Array {
  const data = seededNormalValues(size, seed, std);
  if (size === 0) return data;
  for (const p of poisons) if (p.input === input) data[p.index % size] = p.value;
  return data;
}

/** Materialised q, k, v of a {@link FuzzAttentionShape}, with their float64 copies for the reference. */
export interface FuzzAttentionInputs {
  q: tf.Tensor;
  k: tf.Tensor;
  v: tf.Tensor;
  /** The dims and float64 data `referenceAttention` takes. */
  reference: ReferenceAttentionInputs;
  dispose(): void;
}

/**
 * Builds q, k, v for a shape from a seed, with poisons applied (`q`, `k`, `v` name the inputs).
 *
 * @example
 * ```ts
 * const x = fuzzAttentionInputs(shape, seed, poisons);
 * const expected = referenceAttention(x.reference, { causal }).output;
 * ```
 */
export function fuzzAttentionInputs(
  s: FuzzAttentionShape,
  seed: number,
  poisons: readonly Poison[] = [],
): FuzzAttentionInputs {
  const qShape = [s.batch, s.heads, s.qLen, s.headDim];
  const kShape = [s.batch, s.kvHeads, s.kvLen, s.headDim];
  const vShape = [s.batch, s.kvHeads, s.kvLen, s.valueDim];
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const qd = fuzzValues('q', size(qShape), seed, poisons);
  const kd = fuzzValues('k', size(kShape), seed + 1, poisons);
  const vd = fuzzValues('v', size(vShape), seed + 2, poisons);
  const q = tf.tensor(qd, qShape, 'float32');
  const k = tf.tensor(kd, kShape, 'float32');
  const v = tf.tensor(vd, vShape, 'float32');
  return {
    q,
    k,
    v,
    reference: {
      q: Float64Array.from(qd),
      k: Float64Array.from(kd),
      v: Float64Array.from(vd),
      batch: s.batch,
      heads: s.heads,
      kvHeads: s.kvHeads,
      qLen: s.qLen,
      kvLen: s.kvLen,
      headDim: s.headDim,
      valueDim: s.valueDim,
    },
    dispose: () => tf.dispose([q, k, v]),
  };
}

/** Values no number option accepts: NaN, ±∞, and values of other types. */
export const NON_NUMBERS: readonly unknown[] = Object.freeze([
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '1',
  true,
  null,
  [1],
  {},
]);

/** Values no boolean option accepts. */
export const NON_BOOLEANS: readonly unknown[] = Object.freeze(['yes', 'true', 1, 0, null, Number.NaN, {}]);

/**
 * Values a number option with this rule rejects: {@link NON_NUMBERS}, plus 1.5 past an integer bound or a
 * fraction for integers, 0 and −1 when it must be positive, `min − 1` and `max + 1`.
 */
export function invalidNumberArbitrary(
  rule: { integer?: boolean; positive?: boolean; min?: number; max?: number; exclusive?: boolean } = {},
): fc.Arbitrary<unknown> {
  const values: unknown[] = [...NON_NUMBERS];
  // An open interval rejects its endpoints.
  if (rule.exclusive && rule.min !== undefined) values.push(rule.min);
  if (rule.exclusive && rule.max !== undefined) values.push(rule.max);
  if (rule.integer) values.push((rule.min ?? 0) + 1.5);
  if (rule.positive) values.push(0, -1);
  if (rule.min !== undefined) values.push(rule.min - (rule.integer ? 1 : Math.max(1e-3, Math.abs(rule.min))));
  if (rule.max !== undefined) values.push(rule.max + (rule.integer ? 1 : Math.max(1e-3, Math.abs(rule.max))));
  return fc.constantFrom(...values);
}

/** A value from {@link NON_BOOLEANS}. */
export function invalidBooleanArbitrary(): fc.Arbitrary<unknown> {
  return fc.constantFrom(...NON_BOOLEANS);
}

/**
 * A tensor that has been disposed: what a caller holding a stale reference passes. Every entry point must
 * reject it with a clear error naming the argument (issue 21), never a `TypeError` from tfjs internals.
 */
export function disposedTensor(shape: number[], dtype: 'float32' | 'int32' | 'bool' = 'float32'): tf.Tensor {
  const t = tf.zeros(shape, dtype);
  t.dispose();
  return t;
}
