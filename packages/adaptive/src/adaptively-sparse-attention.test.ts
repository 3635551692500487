import { IncompatibleOptionsError, InvalidArgumentError, scoreMod } from '@efficient-attention/core';
import {
  type AttentionCaseParams,
  attentionCaseArbitrary,
  buildAttentionCase,
  caseMaskPredicate,
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { adaptivelySparseAttention } from './adaptively-sparse-attention.js';
import { entmax64, sparsemax64 } from './test-support/float64.js';

type RowNormalizer = (z: number[], head: number) => Float64Array;

/**
 * Float64 attention with a given row normaliser over the allowed keys only (masked keys get exactly 0,
 * rows with no allowed key give zeros), written with loops: shares no code with the library.
 */
function sparseReference(
  x: { q: ArrayLike<number>; k: ArrayLike<number>; v: ArrayLike<number> },
  p: Pick<
    AttentionCaseParams,
    'batch' | 'kvHeads' | 'group' | 'qLen' | 'kvLen' | 'headDim' | 'valueDim' | 'causal'
  >,
  normalizer: RowNormalizer,
  allowed: (b: number, h: number, q: number, kv: number) => boolean = () => true,
  mod: (s: number, b: number, h: number, q: number, kv: number) => number = (s) => s,
): { output: Float64Array; weights: Float64Array } {
  const heads = p.kvHeads * p.group;
  const scale = 1 / Math.sqrt(p.headDim);
  const output = new Float64Array(p.batch * heads * p.qLen * p.valueDim);
  const weights = new Float64Array(p.batch * heads * p.qLen * p.kvLen);
  for (let b = 0; b < p.batch; b++)
    for (let h = 0; h < heads; h++) {
      const kh = Math.floor(h / p.group);
      for (let i = 0; i < p.qLen; i++) {
        const keys: number[] = [];
        const scores: number[] = [];
        for (let j = 0; j < p.kvLen; j++) {
          if (p.causal && j > i + p.kvLen - p.qLen) continue;
          if (!allowed(b, h, i, j)) continue;
          let s = 0;
          for (let t = 0; t < p.headDim; t++) {
            s +=
              x.q[((b * heads + h) * p.qLen + i) * p.headDim + t]! *
              x.k[((b * p.kvHeads + kh) * p.kvLen + j) * p.headDim + t]!;
          }
          const modded = mod(s * scale, b, h, i, j);
          // A score modifier's −∞ masks that key (weight exactly 0, as for a masked key).
          if (modded === Number.NEGATIVE_INFINITY) continue;
          keys.push(j);
          scores.push(modded);
        }
        if (keys.length === 0) continue;
        const w = normalizer(scores, h);
        keys.forEach((j, n) => {
          weights[((b * heads + h) * p.qLen + i) * p.kvLen + j] = w[n]!;
          for (let t = 0; t < p.valueDim; t++) {
            output[((b * heads + h) * p.qLen + i) * p.valueDim + t]! +=
              w[n]! * x.v[((b * p.kvHeads + kh) * p.kvLen + j) * p.valueDim + t]!;
          }
        });
      }
    }
  return { output, weights };
}

// float32 scores (≤ 16-dim dots) and normalisers vs float64: entmax with α up to 2.5 resolves τ to ~1e-7.
const TOL = { atol: 3e-5, rtol: 3e-4 };

describeBackends('adaptivelySparseAttention', () => {
  it('equals the float64 reference for sparsemax, entmax15 and per-head α-entmax over random shapes, GQA, cross-attention, causal and masks', () => {
    fc.assert(
      fc.property(
        attentionCaseArbitrary(40),
        fc.constantFrom('sparsemax', 'entmax15', 'entmax'),
        fc.array(fc.double({ min: 1.1, max: 2.5, noNaN: true }), { minLength: 4, maxLength: 4 }),
        (p, normalizer, alphas) => {
          const c = buildAttentionCase(p);
          const heads = p.kvHeads * p.group;
          const headAlphas = alphas.slice(0, heads);
          const alpha = normalizer === 'entmax' ? tf.tensor1d(headAlphas) : undefined;
          try {
            const rowNormalizer: RowNormalizer =
              normalizer === 'sparsemax'
                ? (z) => sparsemax64(z)
                : normalizer === 'entmax15'
                  ? (z) => entmax64(z, 1.5)
                  : (z, h) => entmax64(z, headAlphas[h]!);
            const predicate = caseMaskPredicate(p.seed);
            const ref = sparseReference(
              c.inputs,
              p,
              rowNormalizer,
              p.maskKind === 'none' ? undefined : predicate,
            );
            const { output, weights } = adaptivelySparseAttention(c.q, c.k, c.v, {
              normalizer,
              causal: p.causal,
              ...(c.mask ? { mask: c.mask } : {}),
              ...(alpha ? { alpha } : {}),
              returnWeights: true,
            });
            expectTensorsClose(output, ref.output, TOL);
            expectTensorsClose(weights, ref.weights, TOL);
            // Masked keys, and keys clearly outside the support, are exact zeros; valid rows sum to 1.
            const w = weights.dataSync();
            for (let row = 0; row < w.length / p.kvLen; row++) {
              let sum = 0;
              let refSum = 0;
              for (let j = 0; j < p.kvLen; j++) {
                const idx = row * p.kvLen + j;
                sum += w[idx]!;
                refSum += ref.weights[idx]!;
                if (ref.weights[idx] === 0 && Math.abs(w[idx]!) > 0) {
                  // Allowed near-threshold entries may round either way; never masked ones.
                  expect(Math.abs(w[idx]!)).toBeLessThan(TOL.atol);
                }
              }
              expect(Math.abs(sum - refSum)).toBeLessThan(1e-4);
            }
            const causalShift = p.kvLen - p.qLen;
            for (let b = 0; b < p.batch; b++)
              for (let h = 0; h < heads; h++)
                for (let i = 0; i < p.qLen; i++)
                  for (let j = 0; j < p.kvLen; j++) {
                    const masked =
                      (p.causal && j > i + causalShift) || (p.maskKind !== 'none' && !predicate(b, h, i, j));
                    if (masked) expect(w[((b * heads + h) * p.qLen + i) * p.kvLen + j]).toBe(0);
                  }
            tf.dispose([output, weights]);
          } finally {
            c.dispose();
            alpha?.dispose();
          }
        },
      ),
      { numRuns: 16, seed: 1909 },
    );
  });

  it("with normalizer 'softmax' equals test-utils' float64 referenceAttention (mask and score-mod plumbing)", () => {
    fc.assert(
      fc.property(attentionCaseArbitrary(40), (p) => {
        const c = buildAttentionCase(p);
        try {
          const out = adaptivelySparseAttention(c.q, c.k, c.v, {
            normalizer: 'softmax',
            causal: p.causal,
            ...(c.mask ? { mask: c.mask } : {}),
          });
          expectTensorsClose(out, c.reference.output, { atol: 2e-5, rtol: 2e-4 });
          out.dispose();
        } finally {
          c.dispose();
        }
      }),
      { numRuns: 15, seed: 1706 },
    );
  });

  it('applies a score modifier’s tensor form (and only gives −∞ scores weight 0)', () => {
    const p = { batch: 1, kvHeads: 2, group: 1, qLen: 20, kvLen: 20, headDim: 8, valueDim: 8, causal: false };
    const q = seededTensor([1, 2, 20, 8], 11);
    const k = seededTensor([1, 2, 20, 8], 12);
    const v = seededTensor([1, 2, 20, 8], 13);
    // A local window as a score modifier: −∞ beyond distance 3, a distance penalty inside it.
    const scalar = (s: number, _b: number, h: number, i: number, j: number) =>
      Math.abs(i - j) > 3 ? Number.NEGATIVE_INFINITY : s - 0.2 * (h + 1) * Math.abs(i - j);
    const mod = scoreMod({
      name: 'local-penalty',
      scalar,
      tensor: (s, ctx) => {
        const d = tf.abs(tf.sub(ctx.qPositions(), ctx.kvPositions()));
        const slopes = tf.reshape(
          tf.add(tf.range(ctx.headStart, ctx.headStart + ctx.headCount), 1),
          [1, -1, 1, 1],
        );
        return tf.where(
          tf.greater(d, 3),
          tf.fill(s.shape, Number.NEGATIVE_INFINITY),
          tf.sub(s, tf.mul(0.2, tf.mul(slopes, d))),
        );
      },
    });
    for (const normalizer of ['sparsemax', 'entmax15'] as const) {
      const ref = sparseReference(
        { q: q.data, k: k.data, v: v.data },
        p,
        normalizer === 'sparsemax' ? (z) => sparsemax64(z) : (z) => entmax64(z, 1.5),
        undefined,
        scalar,
      );
      const { output, weights } = adaptivelySparseAttention(q.tensor, k.tensor, v.tensor, {
        normalizer,
        scoreMod: mod,
        returnWeights: true,
      });
      expectTensorsClose(output, ref.output, TOL);
      expectTensorsClose(weights, ref.weights, TOL);
      const w = weights.dataSync();
      for (let idx = 0; idx < w.length; idx++) {
        const i = Math.floor(idx / 20) % 20;
        if (Math.abs(i - (idx % 20)) > 3) expect(w[idx]).toBe(0);
      }
      tf.dispose([output, weights]);
    }
    tf.dispose([q.tensor, k.tensor, v.tensor]);
  });

  it('gives zeros (never NaN, never weight on masked keys) for rows a score modifier masks entirely, for every normaliser', () => {
    const p = { batch: 1, kvHeads: 2, group: 1, qLen: 6, kvLen: 6, headDim: 4, valueDim: 3, causal: true };
    const q = seededTensor([1, 2, 6, 4], 21);
    const k = seededTensor([1, 2, 6, 4], 22);
    const v = seededTensor([1, 2, 6, 3], 23);
    // Row 4 loses every key to the score modifier; row 1 loses its causally allowed keys (kv ≤ 1) to it,
    // so only causally masked keys are left: both rows are fully masked.
    const dead = (i: number, j: number) => i === 4 || (i === 1 && j <= 1);
    const scalar = (s: number, _b: number, _h: number, i: number, j: number) =>
      dead(i, j) ? Number.NEGATIVE_INFINITY : s;
    const mod = scoreMod({
      name: 'kill-rows',
      scalar,
      tensor: (s, ctx) => {
        const i = ctx.qPositions();
        const j = ctx.kvPositions();
        const isDead = tf.logicalOr(tf.equal(i, 4), tf.logicalAnd(tf.equal(i, 1), tf.lessEqual(j, 1)));
        return tf.where(tf.broadcastTo(isDead, s.shape), tf.fill(s.shape, Number.NEGATIVE_INFINITY), s);
      },
    });
    const normalizers: Record<string, RowNormalizer> = {
      softmax: (z) => {
        const m = Math.max(...z);
        const e = z.map((x) => Math.exp(x - m));
        const t = e.reduce((a, b) => a + b, 0);
        return Float64Array.from(e, (x) => x / t);
      },
      sparsemax: (z) => sparsemax64(z),
      entmax15: (z) => entmax64(z, 1.5),
      entmax: (z) => entmax64(z, 1.75),
    };
    for (const [normalizer, fn] of Object.entries(normalizers)) {
      const ref = sparseReference({ q: q.data, k: k.data, v: v.data }, p, fn, undefined, scalar);
      const { output, weights } = adaptivelySparseAttention(q.tensor, k.tensor, v.tensor, {
        normalizer: normalizer as 'softmax',
        ...(normalizer === 'entmax' ? { alpha: 1.75 } : {}),
        causal: true,
        scoreMod: mod,
        returnWeights: true,
      });
      expectTensorsClose(output, ref.output, TOL);
      expectTensorsClose(weights, ref.weights, TOL);
      const o = output.dataSync();
      for (let h = 0; h < 2; h++) {
        for (const row of [1, 4]) {
          for (let t = 0; t < 3; t++) expect(o[(h * 6 + row) * 3 + t]).toBe(0);
        }
      }
      tf.dispose([output, weights]);
    }
    tf.dispose([q.tensor, k.tensor, v.tensor]);
  });

  it('has gradients for q and a per-head α equal to finite differences of the float64 reference', () => {
    const p = { batch: 1, kvHeads: 2, group: 1, qLen: 6, kvLen: 6, headDim: 4, valueDim: 3, causal: true };
    const q = seededTensor([1, 2, 6, 4], 21);
    const k = seededTensor([1, 2, 6, 4], 22);
    const v = seededTensor([1, 2, 6, 3], 23);
    const w = seededTensor([1, 2, 6, 3], 24);
    const alphas = [1.3, 1.9];
    const loss64 = (qd: ArrayLike<number>, al: number[]) =>
      sparseReference({ q: qd, k: k.data, v: v.data }, p, (z, h) => entmax64(z, al[h]!)).output.reduce(
        (a, o, i) => a + o * w.data[i]!,
        0,
      );
    const expectedQ = finiteDifferenceGradient((x) => loss64(x, alphas), q.data, 1e-6);
    const expectedAlpha = finiteDifferenceGradient(
      (a) => loss64(q.data, Array.from(a)),
      Float64Array.from(alphas),
      1e-6,
    );
    const alpha = tf.tensor1d(alphas);
    const [gq, ga] = tf.grads((qq: tf.Tensor, aa: tf.Tensor) =>
      tf.sum(
        tf.mul(
          adaptivelySparseAttention(qq, k.tensor, v.tensor, {
            normalizer: 'entmax',
            alpha: aa,
            causal: true,
          }),
          w.tensor,
        ),
      ),
    )([q.tensor, alpha]);
    // float32 forward + custom backward vs float64 central differences (error ~1e-10).
    expectTensorsClose(gq!, expectedQ, { atol: 5e-5, rtol: 2e-3 });
    expectTensorsClose(ga!, expectedAlpha, { atol: 1e-4, rtol: 5e-3 });
    tf.dispose([q.tensor, k.tensor, v.tensor, w.tensor, alpha, gq!, ga!]);
  });

  it('rejects bad normalizers, α with the wrong normaliser, bad α and unknown options', () => {
    const x = tf.zeros([1, 2, 4, 4]);
    expect(() => adaptivelySparseAttention(x, x, x, { normalizer: 'softmin' as never })).toThrow(
      InvalidArgumentError,
    );
    expect(() => adaptivelySparseAttention(x, x, x, { normalizer: 'sparsemax', alpha: 1.5 })).toThrow(
      IncompatibleOptionsError,
    );
    expect(() => adaptivelySparseAttention(x, x, x, { normalizer: 'entmax', alpha: 1 })).toThrow(/≥ 1.001/);
    const wrong = tf.tensor1d([1.5, 1.5, 1.5]);
    expect(() => adaptivelySparseAttention(x, x, x, { normalizer: 'entmax', alpha: wrong })).toThrow(
      /shape \[2\] \(heads\)/,
    );
    expect(() => adaptivelySparseAttention(x, x, x, { normaliser: 'entmax' } as never)).toThrow(
      /options.normaliser/,
    );
    tf.dispose([x, wrong]);
  });

  it('leaks no tensors, forward or backward', () => {
    const q = seededTensor([1, 2, 10, 4], 31).tensor;
    const alpha = tf.variable(tf.tensor1d([1.4, 1.8]));
    for (const normalizer of ['softmax', 'sparsemax', 'entmax15'] as const) {
      expectNoLeaks(() => adaptivelySparseAttention(q, q, q, { normalizer, causal: true }));
    }
    expectNoLeaks(() =>
      adaptivelySparseAttention(q, q, q, { normalizer: 'entmax', alpha, returnWeights: true }),
    );
    expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.sum(tf.square(adaptivelySparseAttention(q, q, q, { normalizer: 'entmax', alpha }))) as tf.Scalar,
      );
      return [value, ...Object.values(grads)];
    });
    tf.dispose([q, alpha]);
  });
});
