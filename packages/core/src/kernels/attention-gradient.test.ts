import {
  compileBlockMask,
  describeBackends,
  expectNoLeaks,
  referenceAttentionGrad,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, expect, it, vi } from 'vitest';
import { memoryEfficientAttention } from '../memory-efficient-attention.js';
import {
  scaledDotProductAttention,
  scaledDotProductAttentionReference,
} from '../scaled-dot-product-attention.js';
import { attentionDims } from '../validation.js';
import { attentionGradReference, attentionLogSumExpReference } from './attention-grad-reference.js';
import { blockSparseAttentionKernel, blockSparseAttentionReference } from './block-sparse-attention.js';
import { fusedAttentionGradKernel, fusedAttentionKernel } from './fused-attention.js';
import { defineKernelContract, expectKernelsOn } from './kernel-contract.js';

// The gradient machinery of the attention contracts, with stand-in kernels registered on the test backend
// (the real wasm / WGSL kernels are tested in @efficient-attention/backends against the same float64
// reference). Tolerance: float32 tfjs ops against the float64 analytic gradient, atol 1e-4 + rtol 1e-3
// (scores are O(1), sums over ≤ 13 keys).
const ATOL = 1e-4;
const RTOL = 1e-3;

interface GradCase {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headDim: number;
  valueDim: number;
  causal: boolean;
  seed: number;
}

const CASES: GradCase[] = [
  { batch: 1, heads: 2, kvHeads: 2, qLen: 7, kvLen: 7, headDim: 16, valueDim: 16, causal: true, seed: 1 },
  { batch: 2, heads: 4, kvHeads: 2, qLen: 5, kvLen: 9, headDim: 8, valueDim: 12, causal: false, seed: 2 },
  // qLen > kvLen with causal: the first qLen − kvLen rows see no key (zero gradient).
  { batch: 1, heads: 3, kvHeads: 1, qLen: 13, kvLen: 6, headDim: 80, valueDim: 16, causal: true, seed: 3 },
];

function operands(c: GradCase) {
  const q = seededTensor([c.batch, c.heads, c.qLen, c.headDim], c.seed);
  const k = seededTensor([c.batch, c.kvHeads, c.kvLen, c.headDim], c.seed + 1);
  const v = seededTensor([c.batch, c.kvHeads, c.kvLen, c.valueDim], c.seed + 2);
  const dOut = seededTensor([c.batch, c.heads, c.qLen, c.valueDim], c.seed + 3);
  const expected = referenceAttentionGrad({ ...c, q: q.data, k: k.data, v: v.data }, dOut.data, {
    causal: c.causal,
  });
  return { q: q.tensor, k: k.tensor, v: v.tensor, dOut: dOut.tensor, expected };
}

function expectClose(actual: tf.Tensor, expected: Float64Array, what: string): void {
  const got = actual.dataSync();
  expect(got.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (!Number.isFinite(expected[i]!)) {
      expect(got[i], `${what}[${i}]`).toBe(expected[i]);
      continue;
    }
    const err = Math.abs(got[i]! - expected[i]!) - RTOL * Math.abs(expected[i]!);
    worst = Math.max(worst, err);
  }
  expect(worst, `${what}: max(|Δ| − rtol·|ref|)`).toBeLessThan(ATOL);
}

/** Registers a stand-in `EAFusedAttention` kernel (the tfjs-ops reference) giving `[out]` or `[out, lse]`. */
function registerStandIn(backend: string, withLogSumExp: boolean): void {
  tf.registerKernel({
    kernelName: fusedAttentionKernel.name,
    backendName: backend,
    kernelFunc: ({ inputs, attrs }) => {
      const { q, k, v } = inputs as { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor };
      const { scale, causal } = attrs as unknown as { scale: number; causal: boolean };
      return tf.tidy(() => {
        const out = scaledDotProductAttentionReference(q, k, v, { scale, causal });
        if (!withLogSumExp) return out;
        const lse = attentionLogSumExpReference(q, k, {
          dims: attentionDims('test', q, k, v),
          scale,
          causal,
        });
        return [out, lse];
      }) as unknown as tf.TensorInfo;
    },
  });
}

describeBackends('attention gradients through kernel contracts', (backend) => {
  afterEach(() => {
    if (tf.getKernel(fusedAttentionKernel.name, backend))
      tf.unregisterKernel(fusedAttentionKernel.name, backend);
  });

  it('the tfjs-ops gradient reference matches the float64 analytic gradient', () => {
    for (const c of CASES) {
      const { q, k, v, dOut, expected } = operands(c);
      const dims = attentionDims('test', q, k, v);
      const g = { dims, scale: 1 / Math.sqrt(c.headDim), causal: c.causal };
      const out = scaledDotProductAttentionReference(q, k, v, { causal: c.causal });
      const lse = attentionLogSumExpReference(q, k, g);
      expectClose(lse, Float64Array.from(expected.logSumExp), 'logSumExp');
      const [dq, dk, dv] = attentionGradReference({ q, k, v, out, dOut, logSumExp: lse }, g);
      expectClose(dq!, expected.dq, `dq ${JSON.stringify(c)}`);
      expectClose(dk!, expected.dk, `dk ${JSON.stringify(c)}`);
      expectClose(dv!, expected.dv, `dv ${JSON.stringify(c)}`);
      tf.dispose([q, k, v, dOut, out, lse, dq!, dk!, dv!]);
    }
  });

  for (const withLogSumExp of [true, false]) {
    it(`tf.grads through a registered EAFusedAttention kernel (${withLogSumExp ? '[out, logSumExp]' : '[out] only'}) uses the registered gradient`, () => {
      registerStandIn(backend, withLogSumExp);
      // A stand-in backward kernel (the tfjs-ops reference) proves the gradient dispatches to it.
      let backwardCalls = 0;
      tf.registerKernel({
        kernelName: fusedAttentionGradKernel.name,
        backendName: backend,
        kernelFunc: ({ inputs, attrs }) => {
          backwardCalls++;
          const x = inputs as Record<'q' | 'k' | 'v' | 'out' | 'dOut' | 'logSumExp', tf.Tensor>;
          const { scale, causal } = attrs as unknown as { scale: number; causal: boolean };
          const dims = attentionDims('test', x.q, x.k, x.v);
          return tf.tidy(() =>
            attentionGradReference(x, { dims, scale, causal }),
          ) as unknown as tf.TensorInfo[];
        },
      });
      try {
        for (const c of CASES) {
          const { q, k, v, dOut, expected } = operands(c);
          const f = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) =>
            fusedAttentionKernel.run({ q: qq, k: kk, v: vv }, { causal: c.causal });
          expectNoLeaks(() => tf.tidy(() => tf.grads(f)([q, k, v], dOut)));
          const [dq, dk, dv] = tf.grads(f)([q, k, v], dOut);
          expectClose(dq!, expected.dq, 'dq');
          expectClose(dk!, expected.dk, 'dk');
          expectClose(dv!, expected.dv, 'dv');
          tf.dispose([q, k, v, dOut, dq!, dk!, dv!]);
        }
        expect(backwardCalls).toBe(2 * CASES.length);
      } finally {
        tf.unregisterKernel(fusedAttentionGradKernel.name, backend);
      }
    });
  }

  it('scaledDotProductAttention takes the fused kernel when only scale and causal are given', () => {
    registerStandIn(backend, true);
    const c = CASES[1]!;
    const { q, k, v, dOut } = operands(c);
    const kernelSpy = vi.spyOn(tf.engine(), 'runKernel');
    const fast = scaledDotProductAttention(q, k, v, { causal: true });
    expect(kernelSpy.mock.calls.some(([name]) => name === fusedAttentionKernel.name)).toBe(true);
    kernelSpy.mockClear();
    const masked = scaledDotProductAttention(q, k, v, { causal: true, mask: () => true });
    expect(kernelSpy.mock.calls.some(([name]) => name === fusedAttentionKernel.name)).toBe(false);
    kernelSpy.mockRestore();
    const ref = scaledDotProductAttentionReference(q, k, v, { causal: true });
    expect(tf.max(tf.abs(tf.sub(fast, ref))).dataSync()[0]).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(tf.sub(masked, ref))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([q, k, v, dOut, fast, masked, ref]);
  });

  it('a call that cannot take the fused kernel (mask, scoreMod) says why once, when kernels were announced', () => {
    registerStandIn(backend, true);
    expectKernelsOn(backend);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { q, k, v, dOut } = operands(CASES[0]!);
    try {
      for (let i = 0; i < 2; i++) {
        tf.dispose(scaledDotProductAttention(q, k, v, { mask: () => true }));
        tf.dispose(memoryEfficientAttention(q, k, v, { mask: () => true }));
      }
      const messages = warn.mock.calls.map(([m]) => String(m));
      expect(messages.filter((m) => m.startsWith('scaledDotProductAttention: options.mask'))).toHaveLength(1);
      expect(messages.filter((m) => m.startsWith('memoryEfficientAttention: options.mask'))).toHaveLength(1);
      expect(messages.find((m) => m.startsWith('scaledDotProductAttention'))).toMatch(/has no fused kernel/);
    } finally {
      warn.mockRestore();
      tf.dispose([q, k, v, dOut]);
    }
  });

  it('no tape breaks: while a tape records, a kernel without a gradient runs its (differentiable) reference, and says so once', () => {
    const contract = defineKernelContract<{ x: tf.Tensor }, object>({
      name: `EATestSquare_${backend}`,
      inputNames: ['x'],
      reference: ({ x }) => tf.square(x),
    });
    tf.registerKernel({
      kernelName: contract.name,
      backendName: backend,
      kernelFunc: ({ inputs }) => tf.tidy(() => tf.mul(tf.square(inputs.x as tf.Tensor), 1)) as tf.TensorInfo,
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const x = tf.tensor([1, 2, 3]);
      const g1 = tf.grad((t: tf.Tensor) => contract.run({ x: t }, {}))(x);
      const g2 = tf.grad((t: tf.Tensor) => contract.run({ x: t }, {}))(x);
      expect(Array.from(g1.dataSync())).toEqual([2, 4, 6]);
      expect(Array.from(g2.dataSync())).toEqual([2, 4, 6]);
      expect(warn.mock.calls.filter(([m]) => String(m).includes(contract.name))).toHaveLength(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/no gradient/);
      tf.dispose([x, g1, g2]);
    } finally {
      warn.mockRestore();
      tf.unregisterKernel(contract.name, backend);
    }
  });

  it('rejects backward operands of the wrong shape, naming them', () => {
    const { q, k, v, dOut } = operands(CASES[0]!);
    const out = tf.zerosLike(dOut);
    const bad = tf.zeros([1, 2, 6]);
    expect(() =>
      fusedAttentionGradKernel.runOutputs({ q, k, v, out, dOut, logSumExp: bad }, { causal: true }),
    ).toThrow(/`logSumExp.shape` must be \[1, 2, 7\]/);
    tf.dispose([q, k, v, dOut, out, bad]);
  });

  it('tf.grads through a registered EABlockSparseAttention kernel matches the float64 gradient of the block mask', () => {
    tf.registerKernel({
      kernelName: blockSparseAttentionKernel.name,
      backendName: backend,
      kernelFunc: ({ inputs, attrs }) =>
        tf.tidy(() =>
          blockSparseAttentionReference(inputs as never, attrs as never),
        ) as unknown as tf.TensorInfo,
    });
    try {
      // A banded pattern with partial blocks, a head-specific stripe, and query rows 0 and 9 seeing nothing.
      const c = { batch: 1, heads: 2, kvHeads: 1, qLen: 11, kvLen: 10, headDim: 16, valueDim: 8, seed: 7 };
      const allowed = (_b: number, h: number, i: number, j: number) =>
        i !== 0 && i !== 9 && (Math.abs(i - j) <= 2 || j === h);
      const mask = compileBlockMask(allowed, 1, 2, c.qLen, c.kvLen, 4);
      const q = seededTensor([1, 2, c.qLen, 16], 11);
      const k = seededTensor([1, 1, c.kvLen, 16], 12);
      const v = seededTensor([1, 1, c.kvLen, 8], 13);
      const dOut = seededTensor([1, 2, c.qLen, 8], 14);
      const expected = referenceAttentionGrad({ ...c, q: q.data, k: k.data, v: v.data }, dOut.data, {
        allowed,
      });
      const attrs = { blockSize: 4, qLen: c.qLen, kvLen: c.kvLen };
      const f = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) =>
        blockSparseAttentionKernel.run({ q: qq, k: kk, v: vv, ...mask }, attrs);
      expectNoLeaks(() => tf.tidy(() => tf.grads(f)([q.tensor, k.tensor, v.tensor], dOut.tensor)));
      const [dq, dk, dv] = tf.grads(f)([q.tensor, k.tensor, v.tensor], dOut.tensor);
      expectClose(dq!, expected.dq, 'dq');
      expectClose(dk!, expected.dk, 'dk');
      expectClose(dv!, expected.dv, 'dv');
      tf.dispose([q.tensor, k.tensor, v.tensor, dOut.tensor, dq!, dk!, dv!, ...Object.values(mask)]);
    } finally {
      tf.unregisterKernel(blockSparseAttentionKernel.name, backend);
    }
  });

  it('the gradient reference keeps a NaN where the forward would: a masked NaN key reaches no gradient', () => {
    const c = {
      batch: 1,
      heads: 1,
      kvHeads: 1,
      qLen: 6,
      kvLen: 6,
      headDim: 4,
      valueDim: 4,
      causal: true,
      seed: 5,
    };
    const { q, k, v, dOut } = operands(c);
    // Key 4 (and its value) are NaN: causal rows 0–3 cannot see it.
    const poison = tf.tensor4d(
      Array.from({ length: 24 }, (_, i) => (Math.floor(i / 4) === 4 ? Number.NaN : 0)),
      [1, 1, 6, 4],
    );
    const kn = tf.add(k, poison);
    const vn = tf.add(v, poison);
    const dims = attentionDims('test', q, kn, vn);
    const g = { dims, scale: 0.5, causal: true };
    const out = scaledDotProductAttentionReference(q, kn, vn, { causal: true, scale: 0.5 });
    const lse = attentionLogSumExpReference(q, kn, g);
    const [dq, dk, dv] = attentionGradReference({ q, k: kn, v: vn, out, dOut, logSumExp: lse }, g);
    const rowNaN = (t: tf.Tensor, row: number) =>
      Array.from(t.arraySync() as number[][][][])[0]![0]![row]!.some(Number.isNaN);
    for (let row = 0; row < 4; row++) expect(rowNaN(dq!, row), `dq row ${row}`).toBe(false);
    for (let row = 4; row < 6; row++) expect(rowNaN(dq!, row), `dq row ${row}`).toBe(true);
    // Row 5 sees the NaN key, so its probabilities are NaN and so is the value gradient of key 5 it reads.
    expect(rowNaN(dv!, 5)).toBe(true);
    tf.dispose([q, k, v, dOut, poison, kn, vn, out, lse, dq!, dk!, dv!]);
  });
});
