import type * as tf from '@tensorflow/tfjs-core';
import { tensor } from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { type ReferenceAttentionInputs, referenceAttention } from './reference-attention.js';
import { seededTensor } from './tensors.js';

/** The random parameters of one attention test case. */
export interface AttentionCaseParams {
  batch: number;
  kvHeads: number;
  group: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  causal: boolean;
  maskKind: 'none' | 'predicate' | 'tensor';
  seed: number;
}

/** fast-check arbitrary over shapes up to `maxLen` (GQA, cross-attention, causal, masks). */
export function attentionCaseArbitrary(maxLen = 80): fc.Arbitrary<AttentionCaseParams> {
  return fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    kvHeads: fc.integer({ min: 1, max: 2 }),
    group: fc.integer({ min: 1, max: 2 }),
    qLen: fc.integer({ min: 1, max: maxLen }),
    kvLen: fc.integer({ min: 1, max: maxLen }),
    headDim: fc.integer({ min: 1, max: 16 }),
    valueDim: fc.integer({ min: 1, max: 12 }),
    causal: fc.boolean(),
    maskKind: fc.constantFrom('none', 'predicate', 'tensor'),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  });
}

/** A pseudo-random allowed pattern that depends on (b, h, q, kv) and empties some rows entirely. */
export function caseMaskPredicate(seed: number) {
  return (b: number, h: number, q: number, kv: number): boolean => {
    if ((q + seed) % 7 === 3) return false; // an entirely masked row
    return (q * 31 + kv * 17 + h * 7 + b * 3 + seed) % 5 !== 0;
  };
}

/** Materialised tensors for a case plus the float64 reference result. */
export interface AttentionCase {
  params: AttentionCaseParams;
  q: tf.Tensor;
  k: tf.Tensor;
  v: tf.Tensor;
  /** The mask in the form the case asks for (undefined for 'none'). */
  mask: ((b: number, h: number, q: number, kv: number) => boolean) | tf.Tensor | undefined;
  reference: { output: Float64Array; weights: Float64Array };
  inputs: ReferenceAttentionInputs;
  dispose(): void;
}

/** Builds a case's tensors and its float64 reference. */
export function buildAttentionCase(p: AttentionCaseParams): AttentionCase {
  const heads = p.kvHeads * p.group;
  const q = seededTensor([p.batch, heads, p.qLen, p.headDim], p.seed);
  const k = seededTensor([p.batch, p.kvHeads, p.kvLen, p.headDim], p.seed + 1);
  const v = seededTensor([p.batch, p.kvHeads, p.kvLen, p.valueDim], p.seed + 2);
  const predicate = caseMaskPredicate(p.seed);
  let mask: AttentionCase['mask'];
  if (p.maskKind === 'predicate') mask = predicate;
  if (p.maskKind === 'tensor') {
    const data = new Uint8Array(p.batch * heads * p.qLen * p.kvLen);
    let i = 0;
    for (let b = 0; b < p.batch; b++)
      for (let h = 0; h < heads; h++)
        for (let r = 0; r < p.qLen; r++)
          for (let c = 0; c < p.kvLen; c++) data[i++] = predicate(b, h, r, c) ? 1 : 0;
    mask = tensor(data, [p.batch, heads, p.qLen, p.kvLen], 'bool');
  }
  const inputs: ReferenceAttentionInputs = {
    q: q.data,
    k: k.data,
    v: v.data,
    batch: p.batch,
    heads,
    kvHeads: p.kvHeads,
    qLen: p.qLen,
    kvLen: p.kvLen,
    headDim: p.headDim,
    valueDim: p.valueDim,
  };
  const reference = referenceAttention(inputs, {
    causal: p.causal,
    ...(p.maskKind === 'none' ? {} : { allowed: predicate }),
  });
  return {
    params: p,
    q: q.tensor,
    k: k.tensor,
    v: v.tensor,
    mask,
    reference,
    inputs,
    dispose() {
      q.tensor.dispose();
      k.tensor.dispose();
      v.tensor.dispose();
      if (mask !== undefined && typeof mask !== 'function') mask.dispose();
    },
  };
}
