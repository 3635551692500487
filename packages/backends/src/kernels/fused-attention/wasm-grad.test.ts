import {
  fusedAttentionGradKernel,
  fusedAttentionKernel,
  hasKernelFor,
  memoryEfficientAttention,
} from '@efficient-attention/core';
import {
  expectCloseWithNaNs,
  expectNoLeaks,
  referenceAttentionGrad,
  seededNormalValues,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientCoverage } from '../../capability-report.js';
import { enableNodeWasmRelaxedSimd } from '../../node-wasm-relaxed-simd.js';
import type { KernelVariant } from '../../runtime/wasm/kernel-module.js';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';
import { poisonedShapeArbitrary } from './testing/nan-rule-cases.js';

// The backward kernel (and the forward's log-sum-exp) against test-utils' float64 analytic gradient
// (referenceAttentionGrad: plain loops, independent of the kernel's FlashAttention-2 tiling and of tfjs
// autograd), on both builds of the module. This file runs in its own process (vitest's forks pool), so the
// V8 flag that lets the relaxed-SIMD build load stays here.
//
// Tolerance |got − expected| ≤ 1e-5 + 1e-4·|expected|: the gradients (magnitudes up to ~6 here) are float32
// sums over up to a few hundred keys, and 64 rows per step, of products of unit normals, with P recomputed
// from the float32 log-sum-exp (~1e-6 relative error per probability for |S| ≲ 10) and D from the float32
// forward output. Observed: ≤ 2e-6 absolute (N = 300–500, d = 16–80), a fifth of the tolerance or less.
// The log-sum-exp: 1e-5 + 1e-5·|L| (observed ≤ 6e-7).
const GRAD_TOLERANCE = { atol: 1e-5, rtol: 1e-4 };
const LSE_TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

interface GradCase {
  b: number;
  hkv: number;
  group: number;
  n: number;
  m: number;
  d: number;
  dv: number;
  causal: boolean;
}

// Shapes across the kernel's edges: 64-key work items and 64-row steps (lengths just off them), odd lengths,
// qLen ≠ kvLen both ways (causal with qLen > kvLen leaves the first rows with no visible key), grouped-query
// heads, head dims 16, 64, 80 and ones that need padding to 8.
const FIXED_CASES: GradCase[] = [
  { b: 1, hkv: 2, group: 1, n: 37, m: 37, d: 16, dv: 16, causal: false },
  { b: 2, hkv: 1, group: 2, n: 130, m: 130, d: 64, dv: 64, causal: true },
  { b: 1, hkv: 1, group: 3, n: 19, m: 200, d: 80, dv: 80, causal: true },
  { b: 1, hkv: 2, group: 2, n: 150, m: 65, d: 16, dv: 24, causal: true },
  { b: 1, hkv: 1, group: 1, n: 129, m: 63, d: 5, dv: 7, causal: false },
  { b: 1, hkv: 1, group: 2, n: 1, m: 300, d: 64, dv: 64, causal: false },
];

/** Random cases from a seeded generator (fast-check's, so the list is the same on every run). */
const RANDOM_CASES: GradCase[] = fc.sample(
  fc.record({
    b: fc.integer({ min: 1, max: 2 }),
    hkv: fc.integer({ min: 1, max: 2 }),
    group: fc.integer({ min: 1, max: 3 }),
    n: fc.integer({ min: 1, max: 200 }),
    m: fc.integer({ min: 1, max: 200 }),
    d: fc.constantFrom(16, 64, 80, 3, 12),
    dv: fc.constantFrom(16, 64, 80, 9),
    causal: fc.boolean(),
  }),
  { numRuns: 6, seed: 1818 },
);

function caseTensors(c: GradCase, seed: number) {
  const h = c.hkv * c.group;
  const shapes = {
    q: [c.b, h, c.n, c.d],
    k: [c.b, c.hkv, c.m, c.d],
    v: [c.b, c.hkv, c.m, c.dv],
    dOut: [c.b, h, c.n, c.dv],
  };
  const size = (s: number[]) => s.reduce((a, x) => a * x, 1);
  const data = {
    q: seededNormalValues(size(shapes.q), seed),
    k: seededNormalValues(size(shapes.k), seed + 1),
    v: seededNormalValues(size(shapes.v), seed + 2),
    dOut: seededNormalValues(size(shapes.dOut), seed + 3),
  };
  return { h, shapes, data };
}

function referenceFor(c: GradCase, data: ReturnType<typeof caseTensors>['data'], scale: number) {
  return referenceAttentionGrad(
    {
      q: data.q,
      k: data.k,
      v: data.v,
      batch: c.b,
      heads: c.hkv * c.group,
      kvHeads: c.hkv,
      qLen: c.n,
      kvLen: c.m,
      headDim: c.d,
      valueDim: c.dv,
    },
    data.dOut,
    { scale, causal: c.causal },
  );
}

/** The forward kernel's [out, logSumExp], then the backward kernel's [dq, dk, dv], as plain arrays. */
function runKernels(c: GradCase, seed: number, scale: number) {
  const { shapes, data } = caseTensors(c, seed);
  const q = tf.tensor(data.q, shapes.q);
  const k = tf.tensor(data.k, shapes.k);
  const v = tf.tensor(data.v, shapes.v);
  const dOut = tf.tensor(data.dOut, shapes.dOut);
  const attrs = { scale, causal: c.causal };
  const [out, logSumExp] = fusedAttentionKernel.runOutputs({ q, k, v }, attrs);
  let grads: Float32Array[] = [];
  expectNoLeaks(() => {
    const outputs = fusedAttentionGradKernel.runOutputs(
      { q, k, v, out: out!, dOut, logSumExp: logSumExp! },
      attrs,
    );
    grads = outputs.map((t) => t.dataSync() as Float32Array);
    return outputs;
  });
  const result = {
    data,
    out: out!.dataSync() as Float32Array,
    logSumExp: logSumExp!.dataSync() as Float32Array,
    dq: grads[0]!,
    dk: grads[1]!,
    dv: grads[2]!,
  };
  tf.dispose([q, k, v, dOut, out!, logSumExp!]);
  return result;
}

const VARIANTS: KernelVariant[] = ['simd128', 'relaxed-simd'];

describe('fusedAttentionGradWasm: the FlashAttention-2 backward in the WebAssembly module', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    expect(await enableNodeWasmRelaxedSimd()).toBe(true);
  });
  afterAll(() => unregisterWasmKernels());

  for (const variant of VARIANTS) {
    describe(`${variant} build, 2 threads`, () => {
      beforeAll(async () => {
        expect((await registerWasmKernels({ threads: 2, simd: variant })).variant).toBe(variant);
      });

      it('is registered for wasm and cpu', () => {
        expect(hasKernelFor(fusedAttentionGradKernel, 'wasm')).toBe(true);
        expect(hasKernelFor(fusedAttentionGradKernel, 'cpu')).toBe(true);
        // The capability report: training EAFusedAttention runs kernels both ways (gradientOf).
        expect(gradientCoverage('wasm')[fusedAttentionKernel.name]).toBe('kernel');
      });

      [...FIXED_CASES, ...RANDOM_CASES].forEach((c, i) => {
        it(`equals the float64 gradient (case ${i}: ${JSON.stringify(c)})`, () => {
          const scale = 1 / Math.sqrt(c.d);
          const got = runKernels(c, 100 + 7 * i, scale);
          const want = referenceFor(c, got.data, scale);
          expectCloseWithNaNs(got.logSumExp, want.logSumExp, LSE_TOLERANCE, 'logSumExp');
          expectCloseWithNaNs(got.out, want.output, { atol: 2e-5, rtol: 1e-4 }, 'out');
          expectCloseWithNaNs(got.dq, want.dq, GRAD_TOLERANCE, 'dq');
          expectCloseWithNaNs(got.dk, want.dk, GRAD_TOLERANCE, 'dk');
          expectCloseWithNaNs(got.dv, want.dv, GRAD_TOLERANCE, 'dv');
        });
      });

      it('gives rows with no visible key a log-sum-exp of −∞ and exactly zero gradients', () => {
        // Causal with qLen > kvLen: row i sees keys ≤ i − 40, so rows 0..39 see nothing.
        const c: GradCase = { b: 1, hkv: 1, group: 2, n: 90, m: 50, d: 16, dv: 16, causal: true };
        const got = runKernels(c, 5, 0.25);
        const want = referenceFor(c, got.data, 0.25);
        for (let h = 0; h < 2; h++) {
          for (let i = 0; i < 40; i++) {
            expect(got.logSumExp[h * c.n + i]).toBe(Number.NEGATIVE_INFINITY);
            for (let t = 0; t < c.d; t++) expect(got.dq[(h * c.n + i) * c.d + t]).toBe(0);
          }
        }
        expectCloseWithNaNs(got.dq, want.dq, GRAD_TOLERANCE, 'dq');
        expectCloseWithNaNs(got.dk, want.dk, GRAD_TOLERANCE, 'dk');
        expectCloseWithNaNs(got.dv, want.dv, GRAD_TOLERANCE, 'dv');
      });

      it('follows the NaN rule of the float64 gradient (property: NaN in q, k, v or dOut)', () => {
        fc.assert(
          fc.property(poisonedShapeArbitrary(140), fc.nat(1_000_000), (p, dOutAt) => {
            const c: GradCase = {
              b: p.batch,
              hkv: p.kvHeads,
              group: p.group,
              n: p.qLen,
              m: p.kvLen,
              d: p.headDim,
              dv: p.valueDim,
              causal: p.causal,
            };
            const { shapes, data } = caseTensors(c, p.seed);
            for (const [name, poisons] of [
              ['q', p.q],
              ['k', p.k],
              ['v', p.v],
              ['dOut', [{ at: dOutAt, value: Number.NaN }]],
            ] as const) {
              const x = data[name];
              for (const { at } of poisons) x[at % x.length] = Number.NaN;
            }
            const scale = 1 / Math.sqrt(c.d);
            const q = tf.tensor(data.q, shapes.q);
            const k = tf.tensor(data.k, shapes.k);
            const v = tf.tensor(data.v, shapes.v);
            const dOut = tf.tensor(data.dOut, shapes.dOut);
            const attrs = { scale, causal: c.causal };
            const [out, logSumExp] = fusedAttentionKernel.runOutputs({ q, k, v }, attrs);
            const grads = fusedAttentionGradKernel.runOutputs(
              { q, k, v, out: out!, dOut, logSumExp: logSumExp! },
              attrs,
            );
            const [dq, dk, dv] = grads.map((t) => t.dataSync());
            tf.dispose([q, k, v, dOut, out!, logSumExp!, ...grads]);
            const want = referenceFor(c, data, scale);
            const what = JSON.stringify({ ...c, seed: p.seed });
            expectCloseWithNaNs(dq!, want.dq, GRAD_TOLERANCE, `dq ${what}`);
            expectCloseWithNaNs(dk!, want.dk, GRAD_TOLERANCE, `dk ${what}`);
            expectCloseWithNaNs(dv!, want.dv, GRAD_TOLERANCE, `dv ${what}`);
          }),
          { numRuns: 25, seed: 1819 },
        );
      });
    });
  }

  describe('simd128 build, 1 thread (no accumulators to sum; q, dOut, out staged in their own buffers)', () => {
    beforeAll(async () => {
      await registerWasmKernels({ threads: 1, simd: 'simd128' });
    });
    const cases: GradCase[] = [
      { b: 1, hkv: 1, group: 2, n: 70, m: 90, d: 16, dv: 80, causal: true },
      { b: 2, hkv: 1, group: 1, n: 33, m: 20, d: 64, dv: 64, causal: false },
    ];
    cases.forEach((c, i) => {
      it(`equals the float64 gradient (${JSON.stringify(c)})`, () => {
        const scale = 1 / Math.sqrt(c.d);
        const got = runKernels(c, 900 + i, scale);
        const want = referenceFor(c, got.data, scale);
        expectCloseWithNaNs(got.dq, want.dq, GRAD_TOLERANCE, 'dq');
        expectCloseWithNaNs(got.dk, want.dk, GRAD_TOLERANCE, 'dk');
        expectCloseWithNaNs(got.dv, want.dv, GRAD_TOLERANCE, 'dv');
      });
    });
  });

  describe('end to end: tf.grads through the kernels on the wasm backend', () => {
    beforeAll(async () => {
      await registerWasmKernels({ threads: 2, simd: 'simd128' });
    });

    const c: GradCase = { b: 1, hkv: 2, group: 2, n: 97, m: 131, d: 64, dv: 48, causal: true };
    const scale = 1 / Math.sqrt(c.d);
    const paths = {
      'fusedAttentionKernel.run': (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
        fusedAttentionKernel.run({ q, k, v }, { scale, causal: c.causal }),
      memoryEfficientAttention: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
        memoryEfficientAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, {
          scale,
          causal: c.causal,
        }),
    };
    for (const [name, attention] of Object.entries(paths)) {
      it(`${name}: the gradient of Σ out ∘ dOut equals the float64 gradient, with no leaks`, () => {
        const { shapes, data } = caseTensors(c, 77);
        const q = tf.tensor(data.q, shapes.q);
        const k = tf.tensor(data.k, shapes.k);
        const v = tf.tensor(data.v, shapes.v);
        const dOut = tf.tensor(data.dOut, shapes.dOut);
        // The backward kernel must be the one that ran: count its calls through tfjs's profiler-free hook.
        let backwardCalls = 0;
        const kernel = tf.getKernel(fusedAttentionGradKernel.name, 'wasm')!;
        tf.unregisterKernel(kernel.kernelName, 'wasm');
        tf.registerKernel({
          ...kernel,
          kernelFunc: (args) => {
            backwardCalls++;
            return kernel.kernelFunc(args);
          },
        });
        try {
          let grads: Float32Array[] = [];
          expectNoLeaks(() => {
            const g = tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) =>
              tf.sum(tf.mul(attention(a, b, cc), dOut)),
            )([q, k, v]);
            grads = g.map((t) => t.dataSync() as Float32Array);
            return g;
          });
          expect(backwardCalls).toBe(1);
          const want = referenceFor(c, data, scale);
          expectCloseWithNaNs(grads[0]!, want.dq, GRAD_TOLERANCE, 'dq');
          expectCloseWithNaNs(grads[1]!, want.dk, GRAD_TOLERANCE, 'dk');
          expectCloseWithNaNs(grads[2]!, want.dv, GRAD_TOLERANCE, 'dv');
        } finally {
          tf.unregisterKernel(kernel.kernelName, 'wasm');
          tf.registerKernel(kernel);
          tf.dispose([q, k, v, dOut]);
        }
      });
    }
  });
});
