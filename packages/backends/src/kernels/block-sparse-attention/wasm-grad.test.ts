import {
  blockSparseAttentionGradKernel,
  blockSparseAttentionKernel,
  hasKernelFor,
  InvalidArgumentError,
} from '@efficient-attention/core';
import {
  andMasks,
  blockSparseAttention,
  causal,
  createBlockMask,
  longformer,
} from '@efficient-attention/sparse-masks';
import {
  type AllowedPredicate,
  compileBlockMask,
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
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';
import {
  bandedRandomAllowed,
  type PoisonedShape,
  poisonedInputs,
  poisonedShapeArbitrary,
} from '../fused-attention/testing/nan-rule-cases.js';
import { transposeBlockLists } from './wasm-grad-lists.js';

// `EABlockSparseAttentionGrad` on wasm against the float64 analytic gradient of test-utils
// (`referenceAttentionGrad`, itself checked against central differences), over the element mask a compiled
// block mask describes. This file runs in its own process (vitest forks), so it turns on relaxed SIMD and
// tests both builds of the kernel module.
//
// Tolerance: |got − expected| ≤ ATOL + RTOL·|expected| per element. The kernel is float32 (P recomputed
// from a float32 log-sum-exp, exp2 to ~2 ulp, sums of ≤ 300 products of unit normals in a different order
// than float64's), and dS = P∘(dP − D) subtracts two O(1) numbers: errors of a few 1e-6 relative to the
// row's magnitudes, so 1e-4 absolute, 1e-3 relative leaves ~10× margin while a wrong block, bit or row
// (errors ≥ 1e-2) fails.
const ATOL = 1e-4;
const RTOL = 1e-3;

interface GradCase {
  name: string;
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  blockSize: number;
  /** Mask batch / heads: 1 (broadcast) or batch / heads. */
  maskBatch: number;
  maskHeads: number;
  seed: number;
  allowed: AllowedPredicate;
  scale?: number;
}

/** A band of half-width `band` plus scattered keys (density), with some rows that see nothing. */
const banded = bandedRandomAllowed;

const CASES: GradCase[] = [
  {
    name: 'banded random, bs 16, d 16, partial and full blocks, rows with no key',
    batch: 1,
    heads: 2,
    kvHeads: 2,
    qLen: 67,
    kvLen: 67,
    headDim: 16,
    valueDim: 16,
    blockSize: 16,
    maskBatch: 1,
    maskHeads: 1,
    seed: 3,
    allowed: banded(3, 20, 0.1),
  },
  {
    name: 'qLen ≠ kvLen, grouped-query heads, per-head mask, d 64',
    batch: 1,
    heads: 4,
    kvHeads: 2,
    qLen: 45,
    kvLen: 131,
    headDim: 64,
    valueDim: 64,
    blockSize: 32,
    maskBatch: 1,
    maskHeads: 4,
    seed: 11,
    allowed: banded(11, 12, 0.2),
  },
  {
    name: 'per-batch mask, d 80, dv 24, bs 12 (not a multiple of 8 or 4-row tiles per block)',
    batch: 2,
    heads: 2,
    kvHeads: 1,
    qLen: 53,
    kvLen: 41,
    headDim: 80,
    valueDim: 24,
    blockSize: 10,
    maskBatch: 2,
    maskHeads: 1,
    seed: 5,
    allowed: banded(5, 6, 0.15),
  },
  {
    name: 'bs 160 (key spans and query chunks inside a block), odd lengths, scale 0.3',
    batch: 1,
    heads: 2,
    kvHeads: 1,
    qLen: 301,
    kvLen: 283,
    headDim: 16,
    valueDim: 8,
    blockSize: 160,
    maskBatch: 1,
    maskHeads: 2,
    seed: 9,
    allowed: banded(9, 90, 0.05),
    scale: 0.3,
  },
  {
    name: 'bs 42: four-key groups straddle bitmask words; a whole query block without keys',
    batch: 1,
    heads: 1,
    kvHeads: 1,
    qLen: 200,
    kvLen: 180,
    headDim: 24,
    valueDim: 16,
    blockSize: 42,
    maskBatch: 1,
    maskHeads: 1,
    seed: 21,
    allowed: (b, h, q, kv) => (q >= 42 && q < 84 ? false : banded(21, 30, 0.1)(b, h, q, kv)),
  },
];

function caseData(c: GradCase) {
  const size = (...s: number[]) => s.reduce((a, b) => a * b, 1);
  const q = seededNormalValues(size(c.batch, c.heads, c.qLen, c.headDim), c.seed);
  const k = seededNormalValues(size(c.batch, c.kvHeads, c.kvLen, c.headDim), c.seed + 1);
  const v = seededNormalValues(size(c.batch, c.kvHeads, c.kvLen, c.valueDim), c.seed + 2);
  const dOut = seededNormalValues(size(c.batch, c.heads, c.qLen, c.valueDim), c.seed + 3);
  // The mask the kernel sees: planes broadcast over batch / heads as the compiled mask's dims say.
  const allowed: AllowedPredicate = (b, h, i, j) =>
    c.allowed(c.maskBatch === 1 ? 0 : b, c.maskHeads === 1 ? 0 : h, i, j);
  const scale = c.scale ?? 1 / Math.sqrt(c.headDim);
  const expected = referenceAttentionGrad(
    {
      q,
      k,
      v,
      batch: c.batch,
      heads: c.heads,
      kvHeads: c.kvHeads,
      qLen: c.qLen,
      kvLen: c.kvLen,
      headDim: c.headDim,
      valueDim: c.valueDim,
    },
    dOut,
    { scale, allowed },
  );
  return { q, k, v, dOut, scale, expected, allowed };
}

function expectClose(got: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: size`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(got[i]! - expected[i]!) - RTOL * Math.abs(expected[i]!);
    if (!(err <= worst)) {
      worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
      at = i;
    }
  }
  if (worst > ATOL) expect.fail(`${what}: element ${at} is ${got[at]}, expected ${expected[at]}`);
}

/** Runs the gradient kernel on a case (the forward's output and log-sum-exp from the float64 reference). */
function runGrad(c: GradCase, data: ReturnType<typeof caseData>): Float32Array[] {
  const lists = compileBlockMask(data.allowed, c.maskBatch, c.maskHeads, c.qLen, c.kvLen, c.blockSize);
  const inputs = {
    q: tf.tensor4d(data.q, [c.batch, c.heads, c.qLen, c.headDim]),
    k: tf.tensor4d(data.k, [c.batch, c.kvHeads, c.kvLen, c.headDim]),
    v: tf.tensor4d(data.v, [c.batch, c.kvHeads, c.kvLen, c.valueDim]),
    out: tf.tensor4d(Float32Array.from(data.expected.output), [c.batch, c.heads, c.qLen, c.valueDim]),
    dOut: tf.tensor4d(data.dOut, [c.batch, c.heads, c.qLen, c.valueDim]),
    logSumExp: tf.tensor3d(Float32Array.from(data.expected.logSumExp), [c.batch, c.heads, c.qLen]),
    ...lists,
  };
  const attrs = { blockSize: c.blockSize, qLen: c.qLen, kvLen: c.kvLen, scale: data.scale };
  let result: Float32Array[] = [];
  expectNoLeaks(() => {
    const grads = blockSparseAttentionGradKernel.runOutputs(inputs, attrs);
    result = grads.map((g) => g.dataSync() as Float32Array);
    return grads;
  });
  tf.dispose(Object.values(inputs));
  return result;
}

describe('blockSparseAttentionGradWasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    expect(await enableNodeWasmRelaxedSimd()).toBe(true);
  });
  afterAll(() => unregisterWasmKernels());

  for (const simd of ['simd128', 'relaxed-simd'] as const) {
    for (const threads of [1, 2]) {
      describe(`${simd}, ${threads} thread${threads > 1 ? 's' : ''}`, () => {
        beforeAll(async () => {
          const reg = await registerWasmKernels({ threads, simd });
          expect(reg.variant).toBe(simd);
          expect(hasKernelFor(blockSparseAttentionGradKernel, 'wasm')).toBe(true);
          expect(hasKernelFor(blockSparseAttentionGradKernel, 'cpu')).toBe(true);
          // The capability report: training EABlockSparseAttention runs kernels both ways (gradientOf).
          expect(gradientCoverage('wasm')[blockSparseAttentionKernel.name]).toBe('kernel');
        });
        for (const c of CASES) {
          it(`equals the float64 gradient (${c.name})`, () => {
            const data = caseData(c);
            const [dq, dk, dv] = runGrad(c, data);
            expectClose(dq!, data.expected.dq, 'dq');
            expectClose(dk!, data.expected.dk, 'dk');
            expectClose(dv!, data.expected.dv, 'dv');
            // Rows that see no key: exactly zero query gradient (and the case has some).
            const empty = [...data.expected.logSumExp.keys()].filter(
              (r) => data.expected.logSumExp[r] === Number.NEGATIVE_INFINITY,
            );
            expect(empty.length).toBeGreaterThan(0);
            for (const r of empty) for (let t = 0; t < c.headDim; t++) expect(dq![r * c.headDim + t]).toBe(0);
          });
        }
      });
    }
  }
  /** NaN exactly where `expected` is NaN, the same infinity where it is infinite, else within tolerance. */
  function expectNaNRuleClose(got: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
    expect(got.length, `${what}: size`).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i]!;
      const g = got[i]!;
      const ok = Number.isNaN(e)
        ? Number.isNaN(g)
        : !Number.isFinite(e)
          ? g === e
          : Math.abs(g - e) <= ATOL + RTOL * Math.abs(e);
      if (!ok) expect.fail(`${what}: element ${i} is ${g}, expected ${e}`);
    }
  }

  const nanOnly = (p: { at: number; value: number }) => ({ ...p, value: Number.NaN });
  // NaN anywhere (q, k, v, dOut) and ±∞ in v. ±∞ in q or k and in dOut are left out: there the float64
  // reference's own NaN-versus-∞ outcome depends on its summation grouping (core's fuzz keeps them out for
  // the forward too, issue 21).
  const gradCase = fc.record({
    shape: poisonedShapeArbitrary(70).map((p) => ({ ...p, q: p.q.map(nanOnly), k: p.k.map(nanOnly) })),
    dOut: fc.array(fc.record({ at: fc.nat(1_000_000), value: fc.constant(Number.NaN) }), { maxLength: 2 }),
    blockSize: fc.integer({ min: 1, max: 24 }),
    band: fc.integer({ min: 0, max: 12 }),
    perHead: fc.boolean(),
  });

  function nanRuleHolds(g: {
    shape: PoisonedShape;
    dOut: { at: number; value: number }[];
    blockSize: number;
    band: number;
    perHead: boolean;
  }): void {
    const p = g.shape;
    const c = poisonedInputs(p);
    const heads = c.heads;
    const pattern = bandedRandomAllowed(p.seed, g.band, 0.3);
    const shift = p.kvLen - p.qLen;
    const hm = g.perHead ? heads : 1;
    const allowed: AllowedPredicate = (_b, h, i, j) =>
      (!p.causal || j <= i + shift) && pattern(0, hm === 1 ? 0 : h, i, j);
    const dOut = seededNormalValues(p.batch * heads * p.qLen * p.valueDim, p.seed + 3);
    for (const x of g.dOut) dOut[x.at % dOut.length] = x.value;
    const shape = {
      batch: p.batch,
      heads,
      kvHeads: p.kvHeads,
      qLen: p.qLen,
      kvLen: p.kvLen,
      headDim: p.headDim,
      valueDim: p.valueDim,
    };
    const expected = referenceAttentionGrad({ ...c.data, ...shape }, dOut, { allowed });
    const lists = compileBlockMask(allowed, 1, hm, p.qLen, p.kvLen, g.blockSize);
    const { q, k, v } = c.tensors();
    const inputs = {
      q,
      k,
      v,
      out: tf.tensor4d(Float32Array.from(expected.output), [p.batch, heads, p.qLen, p.valueDim]),
      dOut: tf.tensor4d(dOut, [p.batch, heads, p.qLen, p.valueDim]),
      logSumExp: tf.tensor3d(Float32Array.from(expected.logSumExp), [p.batch, heads, p.qLen]),
      ...lists,
    };
    const attrs = { blockSize: g.blockSize, qLen: p.qLen, kvLen: p.kvLen, scale: 1 / Math.sqrt(p.headDim) };
    const grads = blockSparseAttentionGradKernel.runOutputs(inputs, attrs);
    const [dq, dk, dv] = grads.map((t) => t.dataSync());
    tf.dispose([...grads, ...Object.values(inputs)]);
    const what = JSON.stringify(g);
    expectNaNRuleClose(dq!, expected.dq, `dq ${what}`);
    expectNaNRuleClose(dk!, expected.dk, `dk ${what}`);
    expectNaNRuleClose(dv!, expected.dv, `dv ${what}`);
  }

  for (const simd of ['simd128', 'relaxed-simd'] as const) {
    it(`follows the NaN rule of the float64 gradient (property, ${simd}, 2 threads)`, async () => {
      await registerWasmKernels({ threads: 2, simd });
      fc.assert(fc.property(gradCase, nanRuleHolds), { numRuns: 40, seed: 1818 });
    });
  }

  it('rejects key-block lists that are not ascending, naming them (InvalidArgumentError)', async () => {
    await registerWasmKernels({ threads: 2, simd: 'simd128' });
    const [n, bs, d] = [8, 4, 8];
    const t = (x: number[], shape: number[]) => tf.tensor(x, shape, 'int32');
    const inputs = {
      q: tf.ones([1, 1, n, d]),
      k: tf.ones([1, 1, n, d]),
      v: tf.ones([1, 1, n, d]),
      out: tf.zeros([1, 1, n, d]),
      dOut: tf.ones([1, 1, n, d]),
      logSumExp: tf.zeros([1, 1, n]),
      kvNumBlocks: t([2, 0], [1, 1, 2]),
      kvIndices: t([1, 0, 0, 0], [1, 1, 2, 2]),
      fullKvNumBlocks: t([0, 0], [1, 1, 2]),
      fullKvIndices: t([0, 0], [1, 1, 2, 1]),
      partialMasks: t(Array<number>(2 * bs).fill(1), [2, bs, 1]),
      partialMaskOffsets: t([0, 2], [1, 1, 2]),
    };
    const attrs = { blockSize: bs, qLen: n, kvLen: n, scale: 0.5 };
    const before = tf.memory().numTensors;
    expect(() => blockSparseAttentionGradKernel.runOutputs(inputs, attrs)).toThrow(InvalidArgumentError);
    expect(() => blockSparseAttentionGradKernel.runOutputs(inputs, attrs)).toThrow(
      /kvIndices \/ fullKvIndices.*ascending/s,
    );
    const badBatch = { ...inputs, kvNumBlocks: t([2, 0, 2, 0, 2, 0], [3, 1, 2]) };
    expect(() => blockSparseAttentionGradKernel.runOutputs(badBatch, attrs)).toThrow(/mask batch.*1 or 1/s);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([...Object.values(inputs), badBatch.kvNumBlocks]);
  });

  it('tf.grads through sparse-masks blockSparseAttention runs this kernel and equals the float64 gradient', async () => {
    await registerWasmKernels({ threads: 2, simd: 'simd128' });
    const [batch, heads, kvHeads, n, d, bs] = [1, 4, 2, 150, 32, 32];
    const maskMod = andMasks(causal(), longformer({ radius: 20, globalIndices: [0, 77] }));
    const blockMask = createBlockMask(maskMod, n, n, { blockSize: bs });
    const q = seededNormalValues(batch * heads * n * d, 41);
    const k = seededNormalValues(batch * kvHeads * n * d, 42);
    const v = seededNormalValues(batch * kvHeads * n * d, 43);
    const dOut = seededNormalValues(batch * heads * n * d, 44);
    const shape = { batch, heads, kvHeads, qLen: n, kvLen: n, headDim: d, valueDim: d };
    const expected = referenceAttentionGrad({ q, k, v, ...shape }, dOut, {
      allowed: (b, h, i, j) => maskMod(b, h, i, j),
    });
    // Count the calls of the registered gradient kernel (it must run, not the reference).
    const name = blockSparseAttentionGradKernel.name;
    const original = tf.getKernel(name, 'wasm')!;
    let calls = 0;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        calls++;
        return original.kernelFunc(args);
      },
    });
    const tq = tf.tensor4d(q, [batch, heads, n, d]);
    const tk = tf.tensor4d(k, [batch, kvHeads, n, d]);
    const tv = tf.tensor4d(v, [batch, kvHeads, n, d]);
    const tdOut = tf.tensor4d(dOut, [batch, heads, n, d]);
    try {
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.mul(blockSparseAttention(x, y, z, blockMask), tdOut)),
      );
      expectNoLeaks(() => {
        const [dq, dk, dv] = grads([tq, tk, tv]);
        expectClose(dq!.dataSync(), expected.dq, 'dq');
        expectClose(dk!.dataSync(), expected.dk, 'dk');
        expectClose(dv!.dataSync(), expected.dv, 'dv');
        return [dq!, dk!, dv!];
      });
      expect(calls).toBe(1);
    } finally {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(original);
      tf.dispose([tq, tk, tv, tdOut]);
    }
  });
});

it('transposeBlockLists lists, per key block, the query blocks that visit it (ascending, with their masks)', () => {
  // 2 mask planes × 3 query blocks over 3 key blocks; pairs are (key block, partial-mask index or −1).
  const merged = {
    starts: Int32Array.of(0, 2, 3, 5, 5, 6, 8),
    pairs: Int32Array.of(0, -1, 2, 0, 1, 1, 0, 2, 2, -1, 1, -1, 0, 3, 2, -1),
  };
  const byKey = transposeBlockLists(merged, 2, 3, 3);
  expect(Array.from(byKey.starts)).toEqual([0, 2, 3, 5, 6, 7, 8]);
  expect(Array.from(byKey.pairs)).toEqual([0, -1, 2, 2, 1, 1, 0, 0, 2, -1, 2, 3, 1, -1, 2, -1]);
});
