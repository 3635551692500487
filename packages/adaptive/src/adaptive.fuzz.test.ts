import {
  attentionShapeArbitrary,
  caseMaskPredicate,
  createFuzzReport,
  describeBackends,
  disposedTensor,
  expectAllFinite,
  expectCloseWithNaNs,
  expectContract,
  fuzzAttentionInputs,
  fuzzParameters,
  fuzzValues,
  invalidBooleanArbitrary,
  invalidNumberArbitrary,
  referenceAttention,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { AdaptiveSpan } from './adaptive-span.js';
import { ATTENTION_NORMALIZERS, adaptivelySparseAttention } from './adaptively-sparse-attention.js';
import { DynamicSpan } from './dynamic-span.js';
import { entmaxBisect } from './entmax-bisect.js';
import { entmax15 } from './entmax15.js';
import { spanAttention } from './span-attention.js';
import { sparsemax } from './sparsemax.js';
import { entmax64, rampScore64, sparsemax64 } from './test-support/float64.js';

/**
 * Fuzz properties of adaptive (issue 21): span attention equals its float64 ramp-masked definition;
 * sparsemax / entmax rows are on the simplex (sum 1, ≥ 0, finite; uniform when entirely −∞) and equal their
 * float64 definitions; adaptively sparse attention's weight rows sum to 1, or 0 when fully masked; invalid
 * options throw a typed error naming them; the span modules free what they allocate. Knobs: FUZZ_RUNS,
 * FUZZ_SEED (test-utils' fuzz.ts).
 */
const report = createFuzzReport('adaptive');

// float32 vs float64 softmax-weighted sums of unit normals (d ≤ 80, ≤ 64 keys).
const TOL = { atol: 5e-5, rtol: 5e-4 };

describeBackends('adaptive fuzz', () => {
  it('fuzz: spanAttention (block-sparse and dense) = float64 ramp-masked attention (per-head / per-query spans, GQA)', () => {
    const property = 'spanAttention';
    const spanCase = fc.record({
      shape: attentionShapeArbitrary({ maxLen: 40 }),
      extra: fc.integer({ min: 0, max: 24 }),
      causal: fc.boolean(),
      perQuery: fc.boolean(),
      rampSize: fc.double({ min: 0.5, max: 12, noNaN: true }),
      maxSpan: fc.integer({ min: 1, max: 64 }),
      blockSize: fc.integer({ min: 1, max: 33 }),
      execution: fc.constantFrom('block-sparse' as const, 'dense' as const),
      seed: fc.nat(1_000_000),
    });
    fc.assert(
      fc.property(spanCase, (p) => {
        // Queries are aligned to the end of the keys: qLen ≤ kvLen.
        const s = { ...p.shape, kvLen: p.shape.qLen + p.extra };
        const x = fuzzAttentionInputs(s, p.seed);
        const spanShape = p.perQuery ? [s.batch, s.heads, s.qLen, 1] : [s.heads];
        const raw = Float32Array.from(
          fuzzValues(
            'spans',
            spanShape.reduce((a, b) => a * b, 1),
            p.seed + 3,
          ),
          (z) => Math.abs(z) * (p.maxSpan / 2) - 2,
        );
        const spans = tf.tensor(raw, spanShape);
        const spanOf = (b: number, h: number, i: number) =>
          Math.min(p.maxSpan, Math.max(0, p.perQuery ? raw[(b * s.heads + h) * s.qLen + i]! : raw[h]!));
        const expected = referenceAttention(x.reference, {
          causal: p.causal,
          scoreMod: (score, b, h, i, j) =>
            rampScore64(score, Math.abs(i + p.extra - j), spanOf(b, h, i), p.rampSize, p.maxSpan),
        }).output;
        try {
          expectContract(
            () => {
              const out = spanAttention(x.q, x.k, x.v, spans, {
                causal: p.causal,
                rampSize: p.rampSize,
                maxSpan: p.maxSpan,
                blockSize: p.blockSize,
                execution: p.execution,
              });
              expectCloseWithNaNs(out.dataSync(), expected, TOL, property);
              out.dispose();
            },
            { property, report },
          );
        } finally {
          x.dispose();
          spans.dispose();
        }
      }),
      fuzzParameters(property, 25),
    );
  });

  it('fuzz: sparsemax / entmax15 / entmaxBisect rows sum to 1, are ≥ 0 and finite, and equal their float64 definitions', () => {
    const property = 'sparse normalisers';
    const rowsCase = fc.record({
      rows: fc.integer({ min: 1, max: 6 }),
      n: fc.oneof(fc.constantFrom(1, 2, 3), fc.integer({ min: 1, max: 64 })),
      scale: fc.constantFrom(0.1, 1, 5, 30),
      masked: fc.array(fc.nat(10_000), { maxLength: 6 }),
      fullyMaskedRow: fc.option(fc.nat(10), { nil: undefined }),
      normaliser: fc.constantFrom('sparsemax', 'entmax15', 'entmax'),
      alpha: fc.constantFrom(1.25, 1.5, 1.75, 2, 3),
      seed: fc.nat(1_000_000),
    });
    fc.assert(
      fc.property(rowsCase, (p) => {
        const z = fuzzValues('z', p.rows * p.n, p.seed, [], p.scale);
        for (const i of p.masked) z[i % z.length] = Number.NEGATIVE_INFINITY;
        if (p.fullyMaskedRow !== undefined) {
          const r = p.fullyMaskedRow % p.rows;
          z.fill(Number.NEGATIVE_INFINITY, r * p.n, (r + 1) * p.n);
        }
        const logits = tf.tensor2d(z, [p.rows, p.n]);
        try {
          expectContract(
            () => {
              const out =
                p.normaliser === 'sparsemax'
                  ? sparsemax(logits)
                  : p.normaliser === 'entmax15'
                    ? entmax15(logits)
                    : entmaxBisect(logits, { alpha: p.alpha });
              const got = out.dataSync();
              out.dispose();
              expectAllFinite(got, p.normaliser);
              for (let r = 0; r < p.rows; r++) {
                const row = got.subarray(r * p.n, (r + 1) * p.n);
                const zr = z.subarray(r * p.n, (r + 1) * p.n);
                let sum = 0;
                for (const w of row) {
                  expect(w).toBeGreaterThanOrEqual(0);
                  sum += w;
                }
                expect(Math.abs(sum - 1), `row ${r} sums to ${sum}`).toBeLessThan(1e-4);
                if (zr.every((v) => v === Number.NEGATIVE_INFINITY)) {
                  // Documented: a row of only −∞ becomes uniform.
                  expectCloseWithNaNs(
                    row,
                    new Float64Array(p.n).fill(1 / p.n),
                    { atol: 1e-6 },
                    'uniform row',
                  );
                  continue;
                }
                const alpha = p.normaliser === 'sparsemax' ? 2 : p.normaliser === 'entmax15' ? 1.5 : p.alpha;
                const want = alpha === 2 ? sparsemax64(zr) : entmax64(zr, alpha);
                // Bisection (25 steps) and float32 thresholds: 1e-4 absolute on probabilities.
                expectCloseWithNaNs(row, want, { atol: 2e-4, rtol: 2e-3 }, `${p.normaliser} row ${r}`);
              }
            },
            { property, report },
          );
        } finally {
          logits.dispose();
        }
      }),
      fuzzParameters(property, 40),
    );
  });

  it('fuzz: adaptivelySparseAttention weight rows sum to 1 (0 when fully masked), outputs finite, for every normaliser', () => {
    const property = 'adaptivelySparseAttention';
    const asaCase = fc.record({
      shape: attentionShapeArbitrary({ maxLen: 32 }),
      normalizer: fc.constantFrom(...ATTENTION_NORMALIZERS),
      alpha: fc.double({ min: 1.001, max: 3, noNaN: true }),
      causal: fc.boolean(),
      masked: fc.boolean(),
      seed: fc.nat(1_000_000),
    });
    fc.assert(
      fc.property(asaCase, (p) => {
        const s = p.shape;
        const x = fuzzAttentionInputs(s, p.seed);
        const allowed = caseMaskPredicate(p.seed);
        try {
          expectContract(
            () => {
              const { output, weights } = adaptivelySparseAttention(x.q, x.k, x.v, {
                normalizer: p.normalizer,
                causal: p.causal,
                returnWeights: true,
                ...(p.normalizer === 'entmax' ? { alpha: p.alpha } : {}),
                ...(p.masked ? { mask: allowed } : {}),
              });
              const w = weights.dataSync();
              const o = output.dataSync();
              tf.dispose([output, weights]);
              expectAllFinite(o, 'output');
              expectAllFinite(w, 'weights');
              for (let row = 0; row < s.batch * s.heads * s.qLen; row++) {
                const i = row % s.qLen;
                const h = Math.floor(row / s.qLen) % s.heads;
                const b = Math.floor(row / (s.qLen * s.heads));
                let visible = 0;
                let sum = 0;
                for (let j = 0; j < s.kvLen; j++) {
                  const ok = (!p.causal || j <= i + s.kvLen - s.qLen) && (!p.masked || allowed(b, h, i, j));
                  const wj = w[row * s.kvLen + j]!;
                  if (ok) visible++;
                  else expect(Math.abs(wj), `masked weight (${b}, ${h}, ${i}, ${j})`).toBe(0);
                  sum += wj;
                }
                expect(Math.abs(sum - (visible > 0 ? 1 : 0)), `row ${row} sums to ${sum}`).toBeLessThan(1e-4);
              }
            },
            { property, report },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 25),
    );
  });

  it('fuzz: invalid normaliser, span and module options throw a typed error naming the parameter', () => {
    const property = 'invalid options';
    const badCase = fc.oneof(
      fc.record({
        kind: fc.constant('normalizer' as const),
        value: fc.constantFrom('softmax2', 'entmax-1.5', 3),
      }),
      fc.record({
        kind: fc.constant('alpha' as const),
        // Every invalid kind (non-numbers too: the counterexample of adaptively-sparse-attention.regression).
        value: invalidNumberArbitrary({ min: 1.001 }).filter((v) => v !== null && v !== undefined),
      }),
      fc.record({ kind: fc.constant('causal' as const), value: invalidBooleanArbitrary() }),
      fc.record({
        kind: fc.constant('rampSize' as const),
        value: invalidNumberArbitrary({ positive: true }).filter((v) => v !== null),
      }),
      fc.record({
        kind: fc.constant('maxSpan' as const),
        value: invalidNumberArbitrary({ integer: true, min: 1 }).filter((v) => v !== null),
      }),
      fc.record({
        kind: fc.constant('blockSize' as const),
        value: invalidNumberArbitrary({ integer: true, min: 1 }).filter((v) => v !== null),
      }),
      fc.record({ kind: fc.constant('execution' as const), value: fc.constantFrom('sparse', 'flash', 1) }),
      fc.record({
        kind: fc.constant('heads' as const),
        value: invalidNumberArbitrary({ integer: true, min: 1 }),
      }),
      fc.record({
        kind: fc.constant('initialSpan' as const),
        value: fc.constantFrom(-1, Number.NaN, 'x', 1e9),
      }),
    );
    fc.assert(
      fc.property(badCase, (c) => {
        const q = tf.ones([1, 2, 5, 4]);
        const spans = tf.tensor1d([2, 3]);
        try {
          expectContract(
            () => {
              switch (c.kind) {
                case 'normalizer':
                case 'alpha':
                case 'causal':
                  return adaptivelySparseAttention(q, q, q, {
                    ...(c.kind === 'alpha' ? { normalizer: 'entmax' as const } : {}),
                    [c.kind]: c.value,
                  });
                case 'rampSize':
                case 'maxSpan':
                case 'blockSize':
                case 'execution':
                  return spanAttention(q, q, q, spans, { [c.kind]: c.value });
                case 'heads':
                  return new AdaptiveSpan({ heads: c.value as number }).dispose();
                case 'initialSpan':
                  return new AdaptiveSpan({
                    heads: 2,
                    maxSpan: 16,
                    initialSpan: c.value as number,
                  }).dispose();
              }
            },
            { property, report, mustThrow: new RegExp(`options\\.${c.kind}\\b|\`${c.kind}\``) },
          );
        } finally {
          tf.dispose([q, spans]);
        }
      }),
      fuzzParameters(property, 40),
    );
  });

  it('fuzz: AdaptiveSpan and DynamicSpan free every tensor they allocate (create, attend, dispose)', () => {
    const property = 'span modules leak nothing';
    const moduleCase = fc.record({
      kind: fc.constantFrom('adaptive', 'dynamic'),
      heads: fc.integer({ min: 1, max: 3 }),
      maxSpan: fc.integer({ min: 2, max: 32 }),
      rampSize: fc.double({ min: 0.5, max: 8, noNaN: true }),
      fraction: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
      n: fc.integer({ min: 1, max: 12 }),
      headDim: fc.constantFrom(1, 4, 16),
      seed: fc.nat(1000),
    });
    fc.assert(
      fc.property(moduleCase, (p) => {
        const x = fuzzAttentionInputs(
          {
            batch: 1,
            heads: p.heads,
            kvHeads: p.heads,
            qLen: p.n,
            kvLen: p.n,
            headDim: p.headDim,
            valueDim: p.headDim,
          },
          p.seed,
        );
        try {
          expectContract(
            () => {
              const initialSpan = p.fraction * p.maxSpan;
              const module =
                p.kind === 'adaptive'
                  ? new AdaptiveSpan({
                      heads: p.heads,
                      maxSpan: p.maxSpan,
                      rampSize: p.rampSize,
                      initialSpan,
                    })
                  : new DynamicSpan({
                      heads: p.heads,
                      inputDim: p.headDim,
                      maxSpan: p.maxSpan,
                      rampSize: p.rampSize,
                      initialSpan,
                      seed: p.seed,
                    });
              const out = module.attention(x.q, x.k, x.v, { causal: true });
              expectAllFinite(out.dataSync());
              out.dispose();
              module.dispose();
            },
            { property, report },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 15),
    );
  });

  it('fuzz: a disposed q, k, v or logits throws a typed error naming it (issue 21: disposed inputs)', () => {
    const property = 'disposed inputs';
    fc.assert(
      fc.property(fc.constantFrom('q', 'k', 'v', 'logits'), (which) => {
        const t = { q: tf.ones([1, 1, 4, 4]), k: tf.ones([1, 1, 4, 4]), v: tf.ones([1, 1, 4, 4]) };
        const args = { ...t, [which]: disposedTensor([1, 1, 4, 4]) };
        try {
          expectContract(
            () =>
              which === 'logits'
                ? sparsemax(disposedTensor([2, 3]))
                : adaptivelySparseAttention(args.q, args.k, args.v, { normalizer: 'sparsemax' }),
            { property, report, mustThrow: new RegExp(`\`${which}\``) },
          );
        } finally {
          tf.dispose(Object.values(t));
        }
      }),
      fuzzParameters(property, 4),
    );
  });
});
