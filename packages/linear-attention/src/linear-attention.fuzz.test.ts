import {
  attentionShapeArbitrary,
  createFuzzReport,
  describeBackends,
  disposedTensor,
  expectCloseWithNaNs,
  expectContract,
  type FuzzAttentionShape,
  fuzzAttentionInputs,
  fuzzParameters,
  invalidBooleanArbitrary,
  invalidNumberArbitrary,
  referenceAttention,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { eluPlusOne, favorPlus, relu } from './feature-maps.js';
import { linearAttention } from './linear-attention.js';
import {
  createLinformerProjections,
  LINFORMER_SHARING,
  type LinformerProjections,
  linformerAttention,
} from './linformer.js';
import { lshAttention } from './lsh-attention.js';
import { nystromAttention } from './nystrom-attention.js';
import { linear64, type Mat, mul, pinv64, segmentMeans, softmaxScores } from './test-support/float64.js';

/**
 * Fuzz properties of linear-attention (issue 21): linear attention (ELU+1, ReLU, FAVOR+/Performer), Linformer
 * and Nyström equal their own float64 definitions (the structures the unit tests spell out, restated here in
 * float64 loops), LSH with one bucket equals full attention, and invalid options throw a typed error naming
 * them. Knobs: FUZZ_RUNS, FUZZ_SEED (test-utils' fuzz.ts).
 */
const report = createFuzzReport('linear-attention');

/** softmax(q (E k)ᵀ·scale)(F v) in float64, E and F read back from the projections. */
function linformer64(
  x: { q: ArrayLike<number>; k: ArrayLike<number>; v: ArrayLike<number> },
  p: LinformerProjections,
  s: FuzzAttentionShape,
): Float64Array {
  const e = p.e.dataSync();
  const f = p.f.dataSync();
  const r = p.projectedLength;
  const n = s.kvLen;
  const group = s.heads / s.kvHeads;
  const out = new Float64Array(s.batch * s.heads * s.qLen * s.valueDim);
  for (let b = 0; b < s.batch; b++)
    for (let h = 0; h < s.heads; h++) {
      const kh = Math.floor(h / group);
      const off = p.sharing === 'none' ? kh * r * n : 0;
      const kp = new Float64Array(r * s.headDim);
      const vp = new Float64Array(r * s.valueDim);
      for (let i = 0; i < r; i++)
        for (let j = 0; j < n; j++) {
          const base = (b * s.kvHeads + kh) * n + j;
          for (let t = 0; t < s.headDim; t++)
            kp[i * s.headDim + t]! += e[off + i * n + j]! * x.k[base * s.headDim + t]!;
          for (let t = 0; t < s.valueDim; t++)
            vp[i * s.valueDim + t]! += f[off + i * n + j]! * x.v[base * s.valueDim + t]!;
        }
      for (let i = 0; i < s.qLen; i++) {
        const row = (b * s.heads + h) * s.qLen + i;
        const scores = Array.from({ length: r }, (_, c) => {
          let acc = 0;
          for (let t = 0; t < s.headDim; t++) acc += x.q[row * s.headDim + t]! * kp[c * s.headDim + t]!;
          return acc / Math.sqrt(s.headDim);
        });
        const max = Math.max(...scores);
        const w = scores.map((z) => Math.exp(z - max));
        const z = w.reduce((a, y) => a + y, 0);
        for (let c = 0; c < r; c++)
          for (let t = 0; t < s.valueDim; t++)
            out[row * s.valueDim + t]! += (w[c]! / z) * vp[c * s.valueDim + t]!;
      }
    }
  return out;
}

const mapArbitrary = fc.oneof(
  fc.constant(eluPlusOne()),
  fc.constant(relu()),
  fc.record({ numFeatures: fc.integer({ min: 1, max: 48 }), seed: fc.nat(1000) }).map((o) => favorPlus(o)),
);

describeBackends('linear-attention fuzz', () => {
  it('fuzz: linearAttention (ELU+1, ReLU, FAVOR+) = its float64 φ(Q)φ(K)ᵀ definition, causal with any chunk size', () => {
    const property = 'linearAttention';
    const linearCase = fc.record({
      shape: attentionShapeArbitrary({ maxLen: 48, headDims: [16, 64, 80, 1, 3, 5] }),
      featureMap: mapArbitrary,
      causal: fc.boolean(),
      chunkSize: fc.integer({ min: 1, max: 64 }),
      seed: fc.nat(1_000_000),
    });
    fc.assert(
      fc.property(linearCase, (c) => {
        const x = fuzzAttentionInputs(c.shape, c.seed);
        try {
          expectContract(
            () => {
              const out = linearAttention(x.q, x.k, x.v, {
                featureMap: c.featureMap,
                causal: c.causal,
                chunkSize: c.chunkSize,
              });
              const want = linear64(c.featureMap, x.reference, c.shape, c.causal);
              // float32 sums of ≤ 48 positive terms vs float64 (FAVOR+ features of d = 80 rows span e^±10).
              expectCloseWithNaNs(out.dataSync(), want, { atol: 1e-4, rtol: 1e-3 }, property);
              out.dispose();
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

  it('fuzz: linformerAttention = softmax(q (E k)ᵀ/√d)(F v) in float64, every sharing mode', () => {
    const property = 'linformerAttention';
    const linformerCase = fc.record({
      shape: attentionShapeArbitrary({ maxLen: 40 }),
      projectedLength: fc.integer({ min: 1, max: 16 }),
      sharing: fc.constantFrom(...LINFORMER_SHARING),
      seed: fc.nat(1_000_000),
    });
    fc.assert(
      fc.property(linformerCase, (c) => {
        const x = fuzzAttentionInputs(c.shape, c.seed);
        try {
          expectContract(
            () => {
              const p = createLinformerProjections({
                seqLen: c.shape.kvLen,
                projectedLength: c.projectedLength,
                heads: c.shape.kvHeads,
                sharing: c.sharing,
                seed: c.seed,
              });
              try {
                const out = linformerAttention(x.q, x.k, x.v, p);
                expectCloseWithNaNs(
                  out.dataSync(),
                  linformer64(x.reference, p, c.shape),
                  { atol: 5e-5, rtol: 5e-4 },
                  property,
                );
                out.dispose();
              } finally {
                p.dispose();
              }
            },
            { property, report },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 20),
    );
  });

  it('fuzz: nystromAttention = the float64 Nyström computation (segment means, iterative pinv)', () => {
    const property = 'nystromAttention';
    const nystromCase = fc.record({
      heads: fc.integer({ min: 1, max: 2 }),
      n: fc.integer({ min: 1, max: 24 }),
      m: fc.integer({ min: 1, max: 8 }),
      d: fc.constantFrom(1, 3, 5, 16),
      pinvIterations: fc.integer({ min: 1, max: 8 }),
      seed: fc.nat(100_000),
    });
    fc.assert(
      fc.property(nystromCase, ({ heads, n, m, d, pinvIterations, seed }) => {
        const s = { batch: 1, heads, kvHeads: heads, qLen: n, kvLen: n, headDim: d, valueDim: d };
        const x = fuzzAttentionInputs(s, seed);
        try {
          expectContract(
            () => {
              const out = nystromAttention(x.q, x.k, x.v, { numLandmarks: m, pinvIterations });
              const want: number[] = [];
              const mm = Math.min(m, n);
              const scale = 1 / Math.sqrt(d);
              const rows = (data: Float64Array, h: number) =>
                Array.from({ length: n }, (_, i) => data.slice((h * n + i) * d, (h * n + i + 1) * d));
              for (let h = 0; h < heads; h++) {
                const [qh, kh, vh] = [x.reference.q, x.reference.k, x.reference.v].map((a) =>
                  rows(a as Float64Array, h),
                ) as [Mat, Mat, Mat];
                const qL = segmentMeans(qh, mm);
                const kL = segmentMeans(kh, mm);
                const o = mul(
                  softmaxScores(qh, kL, scale),
                  mul(
                    pinv64(softmaxScores(qL, kL, scale), pinvIterations),
                    mul(softmaxScores(qL, kh, scale), vh),
                  ),
                );
                for (const row of o) want.push(...row);
              }
              // The pinv iteration amplifies float32 rounding by the landmark kernel's condition number.
              expectCloseWithNaNs(out.dataSync(), want, { atol: 3e-4, rtol: 2e-3 }, property);
              out.dispose();
            },
            { property, report },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 20),
    );
  });

  it('fuzz: lshAttention with one bucket = full attention (float64 reference), causal or not, any rounds', () => {
    const property = 'lshAttention (one bucket)';
    const lshCase = fc.record({
      shape: attentionShapeArbitrary({ maxLen: 32, selfAttention: true }),
      numHashes: fc.integer({ min: 1, max: 3 }),
      twoChunks: fc.boolean(),
      causal: fc.boolean(),
      seed: fc.nat(100_000),
    });
    fc.assert(
      fc.property(lshCase, (c) => {
        const x = fuzzAttentionInputs(c.shape, c.seed);
        const n = c.shape.qLen;
        try {
          expectContract(
            () => {
              const out = lshAttention(x.q, x.k, x.v, {
                numBuckets: 1,
                chunkSize: c.twoChunks ? Math.max(1, Math.ceil(n / 2)) : n,
                numHashes: c.numHashes,
                causal: c.causal,
                seed: c.seed,
              });
              const want = referenceAttention(x.reference, { causal: c.causal }).output;
              expectCloseWithNaNs(out.dataSync(), want, { atol: 5e-5, rtol: 5e-4 }, property);
              out.dispose();
            },
            { property, report },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 20),
    );
  });

  it('fuzz: invalid options of every entry point throw a typed error naming the parameter', () => {
    const property = 'invalid options';
    const badCase = fc
      .oneof(
        fc.record({
          fn: fc.constant('linear' as const),
          key: fc.constant('chunkSize'),
          value: invalidNumberArbitrary({ integer: true, min: 1 }),
        }),
        fc.record({
          fn: fc.constant('linear' as const),
          key: fc.constant('causal'),
          value: invalidBooleanArbitrary(),
        }),
        fc.record({
          fn: fc.constant('linear' as const),
          key: fc.constant('eps'),
          value: invalidNumberArbitrary({ positive: true }),
        }),
        fc.record({
          fn: fc.constant('nystrom' as const),
          key: fc.constant('numLandmarks'),
          value: invalidNumberArbitrary({ integer: true, min: 1 }),
        }),
        fc.record({
          fn: fc.constant('nystrom' as const),
          key: fc.constant('pinvIterations'),
          value: invalidNumberArbitrary({ integer: true, min: 1 }),
        }),
        fc.record({
          fn: fc.constant('nystrom' as const),
          key: fc.constant('causal'),
          value: fc.constant(true),
        }),
        fc.record({
          fn: fc.constant('lsh' as const),
          key: fc.constant('numHashes'),
          value: invalidNumberArbitrary({ integer: true, min: 1 }),
        }),
        fc.record({
          fn: fc.constant('lsh' as const),
          key: fc.constant('numBuckets'),
          value: fc.constantFrom(3, 0, -2, 'many', Number.NaN),
        }),
        fc.record({
          fn: fc.constant('lsh' as const),
          key: fc.constant('chunkSize'),
          value: invalidNumberArbitrary({ integer: true, min: 1 }),
        }),
        fc.record({
          fn: fc.constant('linformer' as const),
          key: fc.constant('projectedLength'),
          value: invalidNumberArbitrary({ integer: true, min: 1 }),
        }),
        fc.record({
          fn: fc.constant('linformer' as const),
          key: fc.constant('sharing'),
          value: fc.constantFrom('all', 1, 'layer'),
        }),
        fc.record({
          fn: fc.constant('favor' as const),
          key: fc.constant('numFeatures'),
          value: invalidNumberArbitrary({ integer: true, min: 1 }),
        }),
        fc.record({
          fn: fc.constantFrom('linear' as const, 'nystrom' as const, 'lsh' as const),
          key: fc.constantFrom('chunk', 'landmarks', 'scal'),
          value: fc.constant(1),
        }),
      )
      .filter((c) => c.value !== null && c.value !== undefined);
    fc.assert(
      fc.property(badCase, (c) => {
        const x = tf.ones([1, 2, 8, 4]);
        try {
          expectContract(
            () => {
              const o = { [c.key]: c.value };
              switch (c.fn) {
                case 'linear':
                  return linearAttention(x, x, x, o);
                case 'nystrom':
                  return nystromAttention(x, x, x, o);
                case 'lsh':
                  return lshAttention(x, x, x, o);
                case 'linformer':
                  return createLinformerProjections({ seqLen: 8, ...o }).dispose();
                case 'favor':
                  return linearAttention(x, x, x, { featureMap: favorPlus(o) });
              }
            },
            { property, report, mustThrow: new RegExp(`\\b${c.key}\\b`) },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 50),
    );
  });

  it('fuzz: a disposed q, k or v throws a typed error naming it (issue 21: disposed inputs)', () => {
    const property = 'disposed inputs';
    fc.assert(
      fc.property(
        fc.constantFrom('q', 'k', 'v'),
        fc.constantFrom('linear', 'nystrom', 'lsh'),
        (which, fn) => {
          const t = { q: tf.ones([1, 1, 8, 4]), k: tf.ones([1, 1, 8, 4]), v: tf.ones([1, 1, 8, 4]) };
          const a = { ...t, [which]: disposedTensor([1, 1, 8, 4]) };
          try {
            expectContract(
              () =>
                fn === 'linear'
                  ? linearAttention(a.q, a.k, a.v)
                  : fn === 'nystrom'
                    ? nystromAttention(a.q, a.k, a.v)
                    : lshAttention(a.q, a.k, a.v),
              { property, report, mustThrow: new RegExp(`\`${which}\``) },
            );
          } finally {
            tf.dispose(Object.values(t));
          }
        },
      ),
      fuzzParameters(property, 6),
    );
  });

  it('fuzz: outputs keep their documented shape [batch, heads, qLen, valueDim]', () => {
    // A cheap shape-only pass over longer inputs than the float64 properties use.
    const property = 'output shapes';
    fc.assert(
      fc.property(attentionShapeArbitrary({ maxLen: 64, selfAttention: true }), fc.nat(1000), (s, seed) => {
        const x = fuzzAttentionInputs(s, seed);
        try {
          expectContract(
            () => {
              for (const out of [
                linearAttention(x.q, x.k, x.v),
                nystromAttention(x.q, x.k, x.v, { numLandmarks: 8 }),
              ]) {
                expect(out.shape).toEqual([s.batch, s.heads, s.qLen, s.valueDim]);
                out.dispose();
              }
            },
            { property, report },
          );
        } finally {
          x.dispose();
        }
      }),
      fuzzParameters(property, 10),
    );
  });
});
