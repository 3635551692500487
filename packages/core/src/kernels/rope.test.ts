import {
  describeBackends,
  expectNoLeaks,
  expectTensorsClose,
  seededNormalValues,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RopeAttrs, type RopeInputs, type RopeLayout, ropeKernel } from './rope.js';

interface Case {
  batch: number;
  heads: number;
  seq: number;
  headDim: number;
  rotaryDim: number;
  layout: RopeLayout;
  seed: number;
}

// Shapes include rotaryDim < headDim that divides it and that does not (the half-split slice fallback).
const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    heads: fc.integer({ min: 1, max: 3 }),
    seq: fc.integer({ min: 1, max: 9 }),
    pairs: fc.integer({ min: 1, max: 8 }),
    rotaryPairs: fc.integer({ min: 1, max: 8 }),
    layout: fc.constantFrom<RopeLayout>('half-split', 'interleaved'),
    seed: fc.integer({ min: 0, max: 100_000 }),
  })
  .map(({ pairs, rotaryPairs, ...rest }) => ({
    ...rest,
    headDim: 2 * pairs,
    rotaryDim: 2 * Math.min(pairs, rotaryPairs),
  }));

/** Independent float64 RoPE: rotates the (a, b) members of every pair of every row by the given tables. */
function ropeFloat64(x: Float64Array, c: Case, cos: Float64Array, sin: Float64Array): Float64Array {
  const out = Float64Array.from(x);
  const half = c.rotaryDim / 2;
  const rows = c.batch * c.heads * c.seq;
  for (let r = 0; r < rows; r++) {
    const p = r % c.seq;
    for (let i = 0; i < half; i++) {
      const [a, b] = c.layout === 'half-split' ? [i, i + half] : [2 * i, 2 * i + 1];
      const xa = x[r * c.headDim + a]!;
      const xb = x[r * c.headDim + b]!;
      const cs = cos[p * half + i]!;
      const sn = sin[p * half + i]!;
      out[r * c.headDim + a] = xa * cs - xb * sn;
      out[r * c.headDim + b] = xa * sn + xb * cs;
    }
  }
  return out;
}

function tables(c: Case) {
  // Arbitrary (not unit-norm) tables: the kernel must not assume cos² + sin² = 1 (xPos, YaRN amplitudes).
  const cos = seededTensor([c.seq, c.rotaryDim / 2], c.seed + 1);
  const sin = seededTensor([c.seq, c.rotaryDim / 2], c.seed + 2);
  return { cos, sin };
}

/** Checks `tf.grads` of Σ w·rope(x) over (x, cos, sin) against the closed forms in float64. */
function expectExactGradients(c: Case): void {
  const x = seededTensor([c.batch, c.heads, c.seq, c.headDim], c.seed);
  const { cos, sin } = tables(c);
  const w = seededNormalValues(c.batch * c.heads * c.seq * c.headDim, c.seed + 3);
  const wt = tf.tensor(w, x.shape);
  const attrs = { layout: c.layout, rotaryDim: c.rotaryDim };
  const loss = (xi: tf.Tensor, ci: tf.Tensor, si: tf.Tensor) =>
    tf.sum(tf.mul(wt, ropeKernel.run({ x: xi, cos: ci, sin: si }, attrs)));
  const [dx, dCos, dSin] = tf.grads(loss)([x.tensor, cos.tensor, sin.tensor]);
  // Closed forms of ∂(Σ w·rope(x))/∂·, in float64.
  const half = c.rotaryDim / 2;
  const ex = Float64Array.from(w);
  const eCos = new Float64Array(c.seq * half);
  const eSin = new Float64Array(c.seq * half);
  for (let r = 0; r < c.batch * c.heads * c.seq; r++) {
    const p = r % c.seq;
    for (let i = 0; i < half; i++) {
      const [a, b] = c.layout === 'half-split' ? [i, i + half] : [2 * i, 2 * i + 1];
      const [wa, wb] = [w[r * c.headDim + a]!, w[r * c.headDim + b]!];
      const [xa, xb] = [x.data[r * c.headDim + a]!, x.data[r * c.headDim + b]!];
      const [cs, sn] = [cos.data[p * half + i]!, sin.data[p * half + i]!];
      ex[r * c.headDim + a] = wa * cs + wb * sn;
      ex[r * c.headDim + b] = -wa * sn + wb * cs;
      eCos[p * half + i]! += wa * xa + wb * xb;
      eSin[p * half + i]! += wb * xa - wa * xb;
    }
  }
  // Sums of ≤ 6 float32 products of O(1) values (table gradients: over ≤ 6 batch·heads rows).
  expectTensorsClose(dx!, ex, { atol: 1e-4 });
  expectTensorsClose(dCos!, eCos, { atol: 1e-4 });
  expectTensorsClose(dSin!, eSin, { atol: 1e-4 });
  tf.dispose([dx!, dCos!, dSin!, wt, x.tensor, cos.tensor, sin.tensor]);
}

describeBackends('ropeKernel reference', () => {
  it('matches a float64 loop for both layouts, partial rotary dims and arbitrary tables', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        const x = seededTensor([c.batch, c.heads, c.seq, c.headDim], c.seed);
        const { cos, sin } = tables(c);
        const attrs = { layout: c.layout, rotaryDim: c.rotaryDim };
        const y = ropeKernel.run({ x: x.tensor, cos: cos.tensor, sin: sin.tensor }, attrs);
        // Float32 products of O(1) values: default atol 1e-5, rtol 1e-4.
        expectTensorsClose(y, ropeFloat64(x.data, c, cos.data, sin.data));
        tf.dispose([y, x.tensor, cos.tensor, sin.tensor]);
      }),
      { seed: 11, numRuns: 20 },
    );
  });

  it('has exact gradients for x (inverse rotation) and for both tables', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => expectExactGradients(c)),
      { seed: 12, numRuns: 12 },
    );
  });

  it('leaks no tensors, forward or backward', () => {
    const c: Case = { batch: 1, heads: 2, seq: 5, headDim: 12, rotaryDim: 8, layout: 'half-split', seed: 3 };
    const x = seededTensor([1, 2, 5, 12], 1).tensor;
    const { cos, sin } = tables(c);
    for (const layout of ['half-split', 'interleaved'] as const) {
      expectNoLeaks(() => ropeKernel.run({ x, cos: cos.tensor, sin: sin.tensor }, { layout, rotaryDim: 8 }));
      expectNoLeaks(() =>
        tf.grad((xi: tf.Tensor) =>
          tf.sum(ropeKernel.run({ x: xi, cos: cos.tensor, sin: sin.tensor }, { layout, rotaryDim: 8 })),
        )(x),
      );
    }
    tf.dispose([x, cos.tensor, sin.tensor]);
  });
});

describeBackends('ropeKernel registered gradient', (backend) => {
  // A kernel that runs the reference, as a backend fallback would: `tf.grads` then records an `EARope` node
  // and differentiates it with the registered gradient (the rotation by −θ through the kernel again).
  const calls: Float32Array[] = []; // the sin table of each kernel call
  beforeAll(() => {
    tf.registerKernel({
      kernelName: ropeKernel.name,
      backendName: backend,
      kernelFunc: ({ inputs, attrs }) => {
        const i = inputs as unknown as RopeInputs;
        calls.push(i.sin.dataSync() as Float32Array);
        return ropeKernel.reference(i, attrs as unknown as RopeAttrs);
      },
    });
  });
  afterAll(() => tf.unregisterKernel(ropeKernel.name, backend));

  it('gives the float64 gradients of x and both tables through the kernel', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        calls.length = 0;
        expectExactGradients(c);
        // The forward and the input gradient's rotation by −θ both ran the kernel.
        expect(calls).toHaveLength(2);
      }),
      { seed: 13, numRuns: 12 },
    );
  });

  it('leaks no tensors, and differentiating x alone runs one more kernel call', () => {
    const c: Case = { batch: 1, heads: 2, seq: 5, headDim: 12, rotaryDim: 8, layout: 'interleaved', seed: 4 };
    const x = seededTensor([1, 2, 5, 12], 1).tensor;
    const { cos, sin } = tables(c);
    calls.length = 0;
    expectNoLeaks(() =>
      tf.grad((xi: tf.Tensor) =>
        tf.sum(
          ropeKernel.run({ x: xi, cos: cos.tensor, sin: sin.tensor }, { layout: c.layout, rotaryDim: 8 }),
        ),
      )(x),
    );
    expect(calls).toHaveLength(2);
    // The second call rotated by −θ: its sin table is the negated one.
    expect(Array.from(calls[1] ?? [])).toEqual(Array.from(sin.data, (s) => -s));
    tf.dispose([x, cos.tensor, sin.tensor]);
  });
});

describe('ropeKernel gradient registration', () => {
  it('is registered with tfjs for EARope', () => {
    expect(ropeKernel.hasGradient).toBe(true);
    expect(tf.getGradient(ropeKernel.name)).toBeDefined();
  });
});
