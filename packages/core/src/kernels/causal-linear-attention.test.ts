import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  referenceCausalLinearAttention,
  referenceCausalLinearAttentionGrad,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CausalLinearAttentionAttrs,
  type CausalLinearAttentionInputs,
  causalLinearAttentionKernel,
} from './causal-linear-attention.js';

/** Causal normalised linear attention in float64 with plain loops: the definition, no chunks, no state. */
function causalLinearFloat64(
  phiQ: Float64Array,
  phiK: Float64Array,
  v: Float64Array,
  [bh, n, f, dv]: [number, number, number, number],
  eps: number,
): Float64Array {
  const out = new Float64Array(bh * n * dv);
  for (let g = 0; g < bh; g++) {
    for (let i = 0; i < n; i++) {
      let den = 0;
      const num = new Float64Array(dv);
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let t = 0; t < f; t++) s += phiQ[(g * n + i) * f + t]! * phiK[(g * n + j) * f + t]!;
        den += s;
        for (let c = 0; c < dv; c++) num[c]! += s * v[(g * n + j) * dv + c]!;
      }
      for (let c = 0; c < dv; c++) out[(g * n + i) * dv + c] = num[c]! / Math.max(den, eps);
    }
  }
  return out;
}

/** Positive features: |x| of seeded normals (a feature map's output is non-negative). */
function positive(shape: number[], seed: number) {
  const s = seededTensor(shape, seed);
  const abs = s.data.map(Math.abs);
  s.tensor.dispose();
  return { tensor: tf.tensor(Float32Array.from(abs), shape), data: abs };
}

// float32 sums of ≤ 90 positive products against float64: relative error ~1e-6; chunking reorders sums only.
const TOL = { atol: 1e-5, rtol: 1e-4 };

describeBackends('causalLinearAttentionKernel (reference)', () => {
  it('equals the float64 definition for random shapes and chunk sizes that need not divide N', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          heads: fc.integer({ min: 1, max: 3 }),
          n: fc.integer({ min: 1, max: 90 }),
          f: fc.integer({ min: 1, max: 12 }),
          dv: fc.integer({ min: 1, max: 8 }),
          chunkSize: fc.integer({ min: 1, max: 40 }),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        ({ batch, heads, n, f, dv, chunkSize, seed }) => {
          const phiQ = positive([batch, heads, n, f], seed);
          const phiK = positive([batch, heads, n, f], seed + 1);
          const v = seededTensor([batch, heads, n, dv], seed + 2);
          const out = causalLinearAttentionKernel.run(
            { phiQ: phiQ.tensor, phiK: phiK.tensor, v: v.tensor },
            { chunkSize, eps: 1e-12 },
          );
          expect(out.shape).toEqual([batch, heads, n, dv]);
          const want = causalLinearFloat64(phiQ.data, phiK.data, v.data, [batch * heads, n, f, dv], 1e-12);
          expectTensorsClose(out, want, TOL);
          tf.dispose([out, phiQ.tensor, phiK.tensor, v.tensor]);
        },
      ),
      { numRuns: 25, seed: 11 },
    );
  });

  it('follows the NaN rule: a NaN key or value at j reaches rows ≥ j only (also inside a chunk)', () => {
    const [n, f, dv] = [40, 3, 4];
    const phiQ = positive([1, 3, n, f], 21).data;
    const phiK = positive([1, 3, n, f], 22).data;
    const v = seededTensor([1, 3, n, dv], 23).data;
    phiK[(0 * n + 13) * f + 1] = Number.NaN; // head 0, key 13: chunk 1 (rows 10–19) holds it
    v[(1 * n + 27) * dv + 2] = Number.NaN; // head 1, value 27, column 2
    phiQ[(2 * n + 5) * f] = Number.NaN; // head 2, query 5
    const t = (x: Float64Array, w: number) => tf.tensor(Float32Array.from(x), [1, 3, n, w]);
    const inputs = { phiQ: t(phiQ, f), phiK: t(phiK, f), v: t(v, dv) };
    const out = causalLinearAttentionKernel.run(inputs, { chunkSize: 10, eps: 1e-12 });
    const got = out.dataSync();
    const want = causalLinearFloat64(phiQ, phiK, v, [3, n, f, dv], 1e-12);
    want.forEach((e, i) => {
      if (Number.isNaN(e)) expect(got[i], `element ${i}`).toBeNaN();
      else
        expect(Math.abs(got[i]! - e), `element ${i}: ${got[i]} vs ${e}`).toBeLessThanOrEqual(
          1e-5 + 1e-4 * Math.abs(e),
        );
    });
    expect(got.filter(Number.isNaN)).toHaveLength((n - 13) * dv + (n - 27) + dv);
    tf.dispose([out, ...Object.values(inputs)]);
  });

  it('gives zeros, not NaN, for rows whose normaliser is 0', () => {
    // Row 0 of φ(q) is all zeros (a ReLU feature map can do that): 0 / max(0, eps) = 0.
    const phiQ = tf.tensor4d([0, 0, 1, 2, 3, 1], [1, 1, 3, 2]);
    const phiK = tf.tensor4d([1, 1, 0, 2, 1, 0], [1, 1, 3, 2]);
    const v = tf.tensor4d([5, 7, 9], [1, 1, 3, 1]);
    const out = causalLinearAttentionKernel.run({ phiQ, phiK, v }, { chunkSize: 2, eps: 1e-12 });
    // Row 1: scores (1·1 + 2·1, 1·0 + 2·2) = (3, 4) → (3·5 + 4·7) / 7. Row 2: (3 + 1, 0 + 2, 3 + 0) = (4, 2, 3).
    expectTensorsClose(out, [0, (3 * 5 + 4 * 7) / 7, (4 * 5 + 2 * 7 + 3 * 9) / 9]);
    tf.dispose([phiQ, phiK, v, out]);
  });

  it('has the gradients of the explicit masked O(N²) form', () => {
    const phiQ = positive([1, 2, 13, 3], 3).tensor;
    const phiK = positive([1, 2, 13, 3], 4).tensor;
    const v = seededTensor([1, 2, 13, 2], 5).tensor;
    const w = seededTensor([1, 2, 13, 2], 6).tensor;
    const lower = tf.linalg.bandPart(tf.ones([13, 13]), -1, 0);
    const masked = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const s = tf.mul(tf.matMul(a, b, false, true), lower);
      return tf.div(tf.matMul(s, c), tf.maximum(tf.sum(s, -1, true), 1e-12));
    };
    const loss = (f: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), w)));
    const chunked = loss((a, b, c) =>
      causalLinearAttentionKernel.run({ phiQ: a, phiK: b, v: c }, { chunkSize: 5, eps: 1e-12 }),
    )([phiQ, phiK, v]);
    const dense = loss(masked)([phiQ, phiK, v]);
    chunked.forEach((g, i) => {
      expectTensorsClose(g, dense[i]!, { atol: 1e-5, rtol: 1e-4 });
    });
    tf.dispose([phiQ, phiK, v, w, lower, ...chunked, ...dense]);
  });

  it('leaks no tensors and names bad inputs', () => {
    const x = positive([1, 2, 20, 4], 9).tensor;
    expectNoLeaks(() =>
      causalLinearAttentionKernel.run({ phiQ: x, phiK: x, v: x }, { chunkSize: 6, eps: 1e-6 }),
    );
    const y = tf.zeros([1, 2, 19, 4]);
    expect(() =>
      causalLinearAttentionKernel.run({ phiQ: x, phiK: y, v: x }, { chunkSize: 6, eps: 1e-6 }),
    ).toThrow(/`phiK.shape` must be \[1, 2, 20, 4\] \(phiQ's shape\), received \[1, 2, 19, 4\]/);
    expect(() =>
      causalLinearAttentionKernel.run({ phiQ: x, phiK: x, v: x }, { chunkSize: 0, eps: 1e-6 }),
    ).toThrow(/`attrs.chunkSize` must be an integer ≥ 1, received 0/);
    expect(() =>
      causalLinearAttentionKernel.run({ phiQ: x, phiK: x, v: x }, { chunkSize: 4, eps: 0 }),
    ).toThrow(/`attrs.eps` must be a finite number > 0/);
    tf.dispose([x, y]);
  });
});

interface GradCase {
  batch: number;
  heads: number;
  n: number;
  f: number;
  dv: number;
  chunkSize: number;
  normalize: boolean;
  reverse: boolean;
  seed: number;
}

const gradCaseArbitrary: fc.Arbitrary<GradCase> = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  heads: fc.integer({ min: 1, max: 3 }),
  n: fc.integer({ min: 1, max: 40 }),
  f: fc.integer({ min: 1, max: 8 }),
  dv: fc.integer({ min: 1, max: 6 }),
  chunkSize: fc.integer({ min: 1, max: 16 }),
  normalize: fc.boolean(),
  reverse: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

/** Inputs of a case: positive features when normalised (a feature map's output), any sign otherwise. */
function gradInputs(c: GradCase) {
  const features = (seed: number) =>
    c.normalize
      ? positive([c.batch, c.heads, c.n, c.f], seed)
      : seededTensor([c.batch, c.heads, c.n, c.f], seed);
  const phiQ = features(c.seed);
  const phiK = features(c.seed + 1);
  const v = seededTensor([c.batch, c.heads, c.n, c.dv], c.seed + 2);
  const w = seededTensor([c.batch, c.heads, c.n, c.dv], c.seed + 3);
  const dims = { planes: c.batch * c.heads, n: c.n, features: c.f, valueDim: c.dv };
  const x = { phiQ: phiQ.data, phiK: phiK.data, v: v.data, ...dims };
  const dispose = () => tf.dispose([phiQ.tensor, phiK.tensor, v.tensor, w.tensor]);
  return { phiQ: phiQ.tensor, phiK: phiK.tensor, v: v.tensor, w, x, dispose };
}

/** `tf.grads` of Σ w ⊙ out over (φq, φk, v) through `causalLinearAttentionKernel.run`. */
function runGrads(c: GradCase, t: ReturnType<typeof gradInputs>): tf.Tensor[] {
  const attrs = { chunkSize: c.chunkSize, eps: 1e-6, normalize: c.normalize, reverse: c.reverse };
  return tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
    tf.sum(tf.mul(t.w.tensor, causalLinearAttentionKernel.run({ phiQ: a, phiK: b, v: d }, attrs))),
  )([t.phiQ, t.phiK, t.v]);
}

/**
 * float32 against float64: each gradient entry sums ≤ 2·N·(f + dv) products of O(1) values (normalised
 * outputs divide by a den of the same order as the numerator); relative error ~1e-6, scaled by N ≤ 40.
 */
const GRAD_TOL = { atol: 1e-4, rtol: 1e-3 };

function expectGradsMatch(c: GradCase, grads: tf.Tensor[], t: ReturnType<typeof gradInputs>) {
  const want = referenceCausalLinearAttentionGrad(t.x, t.w.data, {
    eps: 1e-6,
    normalize: c.normalize,
    reverse: c.reverse,
  });
  expectTensorsClose(grads[0]!, want.dPhiQ, GRAD_TOL);
  expectTensorsClose(grads[1]!, want.dPhiK, GRAD_TOL);
  expectTensorsClose(grads[2]!, want.dV, GRAD_TOL);
}

describeBackends('causalLinearAttentionKernel modes and gradients', (backend) => {
  it('equals the float64 definition unnormalised and reversed, for random shapes', () => {
    fc.assert(
      fc.property(gradCaseArbitrary, (c) => {
        const t = gradInputs(c);
        const attrs = { chunkSize: c.chunkSize, eps: 1e-6, normalize: c.normalize, reverse: c.reverse };
        const out = causalLinearAttentionKernel.run({ phiQ: t.phiQ, phiK: t.phiK, v: t.v }, attrs);
        // Unnormalised outputs are sums of ≤ 40 products of O(1) values of any sign: atol scales with N.
        expectTensorsClose(out, referenceCausalLinearAttention(t.x, attrs), { atol: 1e-4, rtol: 1e-4 });
        tf.dispose(out);
        t.dispose();
      }),
      { numRuns: 25, seed: 31 },
    );
  });

  it('trains through the reference (no kernel) with the float64 gradient, in every mode', () => {
    fc.assert(
      fc.property(gradCaseArbitrary, (c) => {
        const t = gradInputs(c);
        const grads = runGrads(c, t);
        expectGradsMatch(c, grads, t);
        tf.dispose(grads);
        t.dispose();
      }),
      { numRuns: 20, seed: 32 },
    );
  });

  describe('with a kernel registered (it runs the reference, as a backend fallback would)', () => {
    const calls: Array<{ normalize: unknown; reverse: unknown }> = [];
    beforeAll(() => {
      tf.registerKernel({
        kernelName: causalLinearAttentionKernel.name,
        backendName: backend,
        kernelFunc: ({ inputs, attrs }) => {
          const a = attrs as unknown as CausalLinearAttentionAttrs;
          calls.push({ normalize: a.normalize, reverse: a.reverse });
          return causalLinearAttentionKernel.reference(inputs as unknown as CausalLinearAttentionInputs, a);
        },
      });
    });
    afterAll(() => tf.unregisterKernel(causalLinearAttentionKernel.name, backend));

    it('differentiates through the registered gradient: the kernel scans, float64 gradients', () => {
      fc.assert(
        fc.property(gradCaseArbitrary, (c) => {
          const t = gradInputs(c);
          calls.length = 0;
          const grads = runGrads(c, t);
          expectGradsMatch(c, grads, t);
          // The forward, then the backward's unnormalised scans, all through the kernel: the normaliser
          // (when normalised) and one scan per input, dq in the forward's direction, dk and dv reversed.
          const scans = calls.slice(1);
          expect(calls[0]).toEqual({ normalize: c.normalize, reverse: c.reverse });
          expect(scans.every((s) => s.normalize === false)).toBe(true);
          expect(scans.filter((s) => s.reverse !== c.reverse)).toHaveLength(2);
          expect(scans).toHaveLength(c.normalize ? 4 : 3);
          tf.dispose(grads);
          t.dispose();
        }),
        { numRuns: 20, seed: 33 },
      );
    });

    it('leaks no tensors across a gradient step, and only the needed input gradients run', () => {
      const c: GradCase = {
        batch: 1,
        heads: 2,
        n: 17,
        f: 4,
        dv: 3,
        chunkSize: 5,
        normalize: true,
        reverse: false,
        seed: 7,
      };
      const t = gradInputs(c);
      expectNoLeaks(() => runGrads(c, t));
      calls.length = 0;
      expectNoLeaks(() =>
        tf.grad((d: tf.Tensor) =>
          tf.sum(
            causalLinearAttentionKernel.run(
              { phiQ: t.phiQ, phiK: t.phiK, v: d },
              { chunkSize: 5, eps: 1e-6 },
            ),
          ),
        )(t.v),
      );
      expect(calls).toHaveLength(3); // forward, normaliser, dv's scan
      t.dispose();
    });
  });

  it('names bad mode attributes', () => {
    const x = positive([1, 1, 4, 2], 1).tensor;
    const run = (attrs: object) =>
      causalLinearAttentionKernel.run({ phiQ: x, phiK: x, v: x }, attrs as CausalLinearAttentionAttrs);
    expect(() => run({ chunkSize: 2, eps: 1e-6, normalize: 1 })).toThrow(
      /`attrs.normalize` must be a boolean, received 1/,
    );
    expect(() => run({ chunkSize: 2, eps: 1e-6, reverse: 'yes' })).toThrow(
      /`attrs.reverse` must be a boolean/,
    );
    expect(() => run({ chunkSize: 2, eps: 1e-6, causal: true })).toThrow(/`attrs.causal` must be one of/);
    tf.dispose(x);
  });
});
