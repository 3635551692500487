import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { eluPlusOne, type FeatureMap, favorPlus, relu } from './feature-maps.js';
import { linearAttention } from './linear-attention.js';
import { linear64 as linearDefinition64 } from './test-support/float64.js';

interface Shape {
  batch: number;
  kvHeads: number;
  group: number;
  qLen: number;
  kvLen: number;
  d: number;
  dv: number;
}

/** The float64 definition (test-support) on this file's shape. */
function linear64(
  map: FeatureMap,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  s: Shape,
  causal: boolean,
): Float64Array {
  const shape = {
    batch: s.batch,
    heads: s.kvHeads * s.group,
    kvHeads: s.kvHeads,
    qLen: s.qLen,
    kvLen: s.kvLen,
    headDim: s.d,
    valueDim: s.dv,
  };
  return linearDefinition64(map, { q, k, v }, shape, causal);
}

const shapeArb = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  kvHeads: fc.integer({ min: 1, max: 2 }),
  group: fc.integer({ min: 1, max: 2 }),
  qLen: fc.integer({ min: 1, max: 70 }),
  kvLen: fc.integer({ min: 1, max: 70 }),
  d: fc.integer({ min: 1, max: 12 }),
  dv: fc.integer({ min: 1, max: 6 }),
});
const mapArb = fc.oneof(
  fc.constant(eluPlusOne()),
  fc.constant(relu()),
  fc.integer({ min: 1, max: 40 }).map((numFeatures) => favorPlus({ numFeatures, seed: numFeatures })),
);

// float32 sums of ≤ 70 positive terms vs float64; FAVOR+'s max-subtraction only rescales num and den alike.
const TOL = { atol: 2e-5, rtol: 2e-4 };

function inputs(s: Shape, seed: number) {
  const heads = s.kvHeads * s.group;
  return {
    q: seededTensor([s.batch, heads, s.qLen, s.d], seed),
    k: seededTensor([s.batch, s.kvHeads, s.kvLen, s.d], seed + 1),
    v: seededTensor([s.batch, s.kvHeads, s.kvLen, s.dv], seed + 2),
  };
}

describeBackends('linearAttention', () => {
  it('equals the dense φ(Q)φ(K)ᵀ-normalised definition (float64) for every feature map, GQA and cross lengths', () => {
    fc.assert(
      fc.property(shapeArb, mapArb, fc.integer({ min: 0, max: 1_000_000 }), (s, featureMap, seed) => {
        const { q, k, v } = inputs(s, seed);
        const out = linearAttention(q.tensor, k.tensor, v.tensor, { featureMap });
        expectTensorsClose(out, linear64(featureMap, q.data, k.data, v.data, s, false), TOL);
        tf.dispose([out, q.tensor, k.tensor, v.tensor]);
      }),
      { numRuns: 20, seed: 3 },
    );
  });

  it('causal: equals the masked definition (bottom-right aligned) for chunk sizes that need not divide N', () => {
    fc.assert(
      fc.property(
        shapeArb,
        mapArb,
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (s, featureMap, chunkSize, seed) => {
          const { q, k, v } = inputs(s, seed);
          const out = linearAttention(q.tensor, k.tensor, v.tensor, { featureMap, causal: true, chunkSize });
          expectTensorsClose(out, linear64(featureMap, q.data, k.data, v.data, s, true), TOL);
          tf.dispose([out, q.tensor, k.tensor, v.tensor]);
        },
      ),
      { numRuns: 20, seed: 4 },
    );
  });

  it('long sequences run in blocks, merging FAVOR+ key blocks with different maxima exactly', () => {
    // Blocks hold max(256, 2^19 / F) rows: N = 300 is 2 blocks (256 + 44) on both sides with F = 2048, and 1
    // block for elu+1's F = 4. Keys grow along the sequence, so the two blocks' max exponents differ.
    const s: Shape = { batch: 1, kvHeads: 1, group: 1, qLen: 300, kvLen: 300, d: 4, dv: 2 };
    const { q, v } = inputs(s, 40);
    const k = seededTensor([1, 1, 300, 4], 41);
    const ramp = Float64Array.from(k.data, (x, i) => x * (0.2 + (1.5 * Math.floor(i / 4)) / 300));
    const kRamped = tf.tensor(Float32Array.from(ramp), [1, 1, 300, 4]);
    for (const featureMap of [eluPlusOne(), favorPlus({ numFeatures: 2048, seed: 2 })]) {
      const out = linearAttention(q.tensor, kRamped, v.tensor, { featureMap });
      expectTensorsClose(
        out,
        linear64(featureMap, q.data, Float64Array.from(kRamped.dataSync()), v.data, s, false),
        TOL,
      );
      out.dispose();
    }
    tf.dispose([q.tensor, k.tensor, kRamped, v.tensor]);
  });

  it('gives zeros, not NaN, where ReLU features have no overlap (and causal rows with no key)', () => {
    // Query row 0 is negative everywhere: φ(q₀) = 0, so its normaliser is 0. With qLen > kvLen, causal
    // query 0 sees no key at all (bottom-right alignment).
    const q = tf.tensor4d([-1, -2, 1, 1, 2, 0.5], [1, 1, 3, 2]);
    const k = tf.tensor4d([1, 0.5, 0.2, 1], [1, 1, 2, 2]);
    const v = tf.tensor4d([3, 5], [1, 1, 2, 1]);
    const plain = linearAttention(q, k, v, { featureMap: relu() });
    const causal = linearAttention(q, k, v, { featureMap: eluPlusOne(), causal: true });
    expect(Array.from(plain.dataSync()).every(Number.isFinite)).toBe(true);
    expect(plain.dataSync()[0]).toBe(0);
    expect(causal.dataSync()[0]).toBe(0);
    // Causal row 1 sees key 0 only: its output is v₀ exactly.
    expect(causal.dataSync()[1]).toBeCloseTo(3, 5);
    tf.dispose([q, k, v, plain, causal]);
  });

  it('has the gradients of the float64 definition (central finite differences)', () => {
    const s: Shape = { batch: 1, kvHeads: 1, group: 1, qLen: 5, kvLen: 5, d: 3, dv: 2 };
    const { q, k, v } = inputs(s, 17);
    const w = seededTensor([1, 1, 5, 2], 20);
    for (const causal of [false, true]) {
      // loss = Σ out ⊙ w; autodiff (float32) vs finite differences of the float64 definition.
      const [gq, gk, gv] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(linearAttention(a, b, c, { causal, chunkSize: 2 }), w.tensor)),
      )([q.tensor, k.tensor, v.tensor]);
      const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array) =>
        linear64(eluPlusOne(), qq, kk, vv, s, causal).reduce((acc, o, i) => acc + o * w.data[i]!, 0);
      const fdQ = finiteDifferenceGradient((x) => loss(x, k.data, v.data), q.data);
      const fdK = finiteDifferenceGradient((x) => loss(q.data, x, v.data), k.data);
      const fdV = finiteDifferenceGradient((x) => loss(q.data, k.data, x), v.data);
      // float32 autodiff vs float64 central differences (step 1e-5, error O(1e-10)): float32 rounding dominates.
      const tol = { atol: 1e-4, rtol: 1e-3 };
      expectTensorsClose(gq!, fdQ, tol);
      expectTensorsClose(gk!, fdK, tol);
      expectTensorsClose(gv!, fdV, tol);
      tf.dispose([gq!, gk!, gv!]);
    }
    tf.dispose([q.tensor, k.tensor, v.tensor, w.tensor]);
  });

  it('leaks no tensors on any path', () => {
    const s: Shape = { batch: 2, kvHeads: 1, group: 2, qLen: 20, kvLen: 24, d: 8, dv: 4 };
    const { q, k, v } = inputs(s, 5);
    for (const featureMap of [eluPlusOne(), relu(), favorPlus({ numFeatures: 12 })]) {
      expectNoLeaks(() => linearAttention(q.tensor, k.tensor, v.tensor, { featureMap }));
      expectNoLeaks(() =>
        linearAttention(q.tensor, k.tensor, v.tensor, { featureMap, causal: true, chunkSize: 7 }),
      );
    }
    tf.dispose([q.tensor, k.tensor, v.tensor]);
  });

  it('rejects unknown options and bad values with the parameter named', () => {
    const x = tf.zeros([1, 1, 4, 2]);
    expect(() => linearAttention(x, x, x, { chunk: 4 } as never)).toThrow(
      /linearAttention: `options.chunk` must be one of the known options \(featureMap, causal, chunkSize, eps\)/,
    );
    expect(() => linearAttention(x, x, x, { chunkSize: 0 })).toThrow(
      /`options.chunkSize` must be an integer ≥ 1, received 0/,
    );
    expect(() => linearAttention(x, x, x, { eps: 0 })).toThrow(
      /`options.eps` must be a finite number > 0, received 0/,
    );
    expect(() => linearAttention(x, x, x, { causal: 1 as never })).toThrow(
      /`options.causal` must be a boolean/,
    );
    expect(() => linearAttention(x, x, x, { featureMap: { kind: 'cosine' } as never })).toThrow(
      /`options.featureMap` must be a feature map built by eluPlusOne\(\), relu\(\) or favorPlus/,
    );
    expect(() =>
      linearAttention(x, x, x, { featureMap: { kind: 'favor-plus', numFeatures: 0 } as never }),
    ).toThrow(/favorPlus: `options.numFeatures` must be an integer ≥ 1, received 0/);
    expect(() => tf.tidy(() => linearAttention(x, tf.zeros([1, 1, 4, 3]), x))).toThrow(
      /k.shape\[3\] \(headDim\)/,
    );
    tf.dispose(x);
  });
});
