import { assertKnownOptions, assertNumber, type MaskMod } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { assertMaskMod, checkMaskLengths } from './mask-pattern.js';

/** Options of {@link createMask} and {@link createMaskArray}. */
export interface CreateMaskOptions {
  /** Batch size of the result. Default 1. */
  batch?: number;
  /** Number of heads of the result. Default 1. */
  heads?: number;
}

/** Validates arguments and evaluates the predicate into a `[batch, heads, qLen, kvLen]` 0/1 plane array. */
function evaluate(
  fn: string,
  maskMod: MaskMod,
  qLen: number,
  kvLen: number,
  options: CreateMaskOptions | undefined,
): { data: Uint8Array; shape: [number, number, number, number] } {
  assertMaskMod(fn, 'maskMod', maskMod);
  assertNumber(fn, 'qLen', qLen, { integer: true, min: 1 });
  assertNumber(fn, 'kvLen', kvLen, { integer: true, min: 1 });
  assertKnownOptions(fn, options, ['batch', 'heads']);
  const batch = options?.batch ?? 1;
  const heads = options?.heads ?? 1;
  assertNumber(fn, 'options.batch', batch, { integer: true, min: 1 });
  assertNumber(fn, 'options.heads', heads, { integer: true, min: 1 });
  checkMaskLengths(fn, maskMod, qLen, kvLen);
  const plane = qLen * kvLen;
  const data = new Uint8Array(batch * heads * plane);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const offset = (b * heads + h) * plane;
      // Invariant masks are evaluated once and copied, as FlexAttention does with B=None / H=None.
      if ((b > 0 && maskMod.batchInvariant) || (h > 0 && maskMod.headInvariant)) {
        const from = ((maskMod.batchInvariant ? 0 : b) * heads + (maskMod.headInvariant ? 0 : h)) * plane;
        data.copyWithin(offset, from, from + plane);
        continue;
      }
      for (let q = 0; q < qLen; q++) {
        for (let kv = 0; kv < kvLen; kv++) data[offset + q * kvLen + kv] = maskMod(b, h, q, kv) ? 1 : 0;
      }
    }
  }
  return { data, shape: [batch, heads, qLen, kvLen] };
}

/**
 * Evaluates a mask predicate on every (batch, head, query, key) and returns a boolean tensor
 * `[batch, heads, qLen, kvLen]` (true = may attend) — the dense form, for reference computations and small
 * figures; use {@link createBlockMask} for attention. O(batch · heads · qLen · kvLen). FlexAttention's
 * `create_mask`: https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const dense = createMask(slidingWindow({ radius: 1 }), 4, 4); // bool [1, 1, 4, 4]
 * scaledDotProductAttention(q, k, v, { mask: dense });
 * ```
 */
export function createMask(
  maskMod: MaskMod,
  qLen: number,
  kvLen: number,
  options: CreateMaskOptions = {},
): tf.Tensor4D {
  const { data, shape } = evaluate('createMask', maskMod, qLen, kvLen, options);
  return tf.tensor4d(data, shape, 'bool');
}

/**
 * The same evaluation as {@link createMask} as nested plain arrays `[batch][heads][qLen][kvLen]` of
 * booleans, for figures and tables without tensors.
 *
 * @example
 * ```ts
 * const rows = createMaskArray(causal(), 3, 3)[0][0];
 * // [[true, false, false], [true, true, false], [true, true, true]]
 * ```
 */
export function createMaskArray(
  maskMod: MaskMod,
  qLen: number,
  kvLen: number,
  options: CreateMaskOptions = {},
): boolean[][][][] {
  const { data, shape } = evaluate('createMaskArray', maskMod, qLen, kvLen, options);
  const [batch, heads] = shape;
  return Array.from({ length: batch }, (_, b) =>
    Array.from({ length: heads }, (_, h) =>
      Array.from({ length: qLen }, (_, q) => {
        const base = ((b * heads + h) * qLen + q) * kvLen;
        return Array.from(data.subarray(base, base + kvLen), (x) => x === 1);
      }),
    ),
  );
}
