import { fusedAttentionKernel, hasKernelFor, InvalidArgumentError } from '@efficient-attention/core';
import { describeBackends, expectTensorsClose, seededTensor } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from '../../runtime/wasm/register-wasm-kernels.js';
import { expectNaNRule, poisonedInputs, poisonedShapeArbitrary } from './testing/nan-rule-cases.js';

const nan = Number.NaN;

// The NaN rule on the registered wasm kernel (the SIMD128 build; relaxed-simd.test.ts runs the other), for
// the `wasm` and `cpu` backends it registers for: against the float64 reference of test-utils.
describeBackends('fusedAttentionWasm and the NaN rule', (backend) => {
  beforeAll(async () => {
    await registerWasmKernels({ threads: 2 });
  });
  afterAll(() => unregisterWasmKernels());

  it('puts NaN and ±∞ of q, k, v exactly where the float64 reference has them (property)', () => {
    expect(hasKernelFor(fusedAttentionKernel, backend)).toBe(true);
    fc.assert(
      fc.property(poisonedShapeArbitrary(), (p) => {
        const c = poisonedInputs(p);
        const { q, k, v } = c.tensors();
        const out = fusedAttentionKernel.run({ q, k, v }, { causal: p.causal });
        const got = out.dataSync();
        tf.dispose([q, k, v, out]);
        expectNaNRule(got, c.reference(), `${backend}: ${JSON.stringify(p)}`);
      }),
      { numRuns: 60, seed: 2121 },
    );
  });

  it('a NaN query row gives that row NaN, not zeros (the issue-21 counterexample)', () => {
    const q = seededTensor([1, 2, 37, 16], 1).data;
    q.fill(nan, 5 * 16, 5 * 16 + 1); // row 5 of head 0
    const k = seededTensor([1, 2, 37, 16], 2).tensor;
    const v = seededTensor([1, 2, 37, 16], 3).tensor;
    const qt = tf.tensor(Float32Array.from(q), [1, 2, 37, 16]);
    const out = fusedAttentionKernel.run({ q: qt, k, v }, { causal: false });
    const rows = out.arraySync() as number[][][][];
    expect(rows[0]![0]![5]!.every(Number.isNaN)).toBe(true);
    expect(rows.flat(3).filter(Number.isNaN)).toHaveLength(16);
    tf.dispose([qt, k, v, out]);
  });

  it('a NaN key or value reaches only the rows causally after it; rows with no key stay 0', () => {
    // 12 queries, 9 keys, causal bottom-right: query i sees keys ≤ i − 3, so rows 0–2 see nothing.
    const k = seededTensor([1, 1, 9, 8], 4).data;
    const v = seededTensor([1, 1, 9, 8], 5).data;
    k[6 * 8 + 2] = nan; // key 6: rows ≥ 9 see it
    v[4 * 8 + 3] = Number.POSITIVE_INFINITY; // value 4, column 3: rows ≥ 7
    v[8 * 8 + 1] = nan; // value 8: only row 11
    const q = seededTensor([1, 1, 12, 8], 6).tensor;
    const [kt, vt] = [
      tf.tensor(Float32Array.from(k), [1, 1, 9, 8]),
      tf.tensor(Float32Array.from(v), [1, 1, 9, 8]),
    ];
    const out = fusedAttentionKernel.run({ q, k: kt, v: vt }, { causal: true });
    const rows = (out.arraySync() as number[][][][])[0]![0]!;
    for (let i = 0; i < 3; i++) expect(rows[i]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    for (let i = 3; i < 7; i++) expect(rows[i]!.every(Number.isFinite), `row ${i}`).toBe(true);
    for (let i = 7; i < 9; i++) {
      expect(rows[i]![3], `row ${i}`).toBe(Number.POSITIVE_INFINITY);
      expect(rows[i]!.filter((_x, c) => c !== 3).every(Number.isFinite), `row ${i}`).toBe(true);
    }
    for (let i = 9; i < 12; i++) expect(rows[i]!.every(Number.isNaN), `row ${i}`).toBe(true);
    tf.dispose([q, kt, vt, out]);
  });

  it('a row whose visible scores are all −∞ is NaN, as in the reference (exp(−∞ − (−∞)))', () => {
    // headDim 1: q = −∞ against positive keys gives −∞ scores; row 0 sees key 0 only (causal).
    const q = tf.tensor([Number.NEGATIVE_INFINITY, 1], [1, 1, 2, 1]);
    const k = tf.tensor([0.5, 0.25], [1, 1, 2, 1]);
    const v = tf.tensor([1, 2], [1, 1, 2, 1]);
    const out = fusedAttentionKernel.run({ q, k, v }, { causal: true });
    const o = out.dataSync();
    expect(o[0]).toBeNaN();
    expect(o[1]).toBeCloseTo((Math.exp(0.5) * 1 + Math.exp(0.25) * 2) / (Math.exp(0.5) + Math.exp(0.25)), 5);
    tf.dispose([q, k, v, out]);
  });

  it('resolves attributes before the kernel runs: no scale means 1/√d; bad scale or causal throws', () => {
    const q = seededTensor([1, 2, 20, 16], 7).tensor;
    const k = seededTensor([1, 2, 20, 16], 8).tensor;
    const v = seededTensor([1, 2, 20, 16], 9).tensor;
    const implicit = fusedAttentionKernel.run({ q, k, v }, {});
    const explicit = fusedAttentionKernel.run({ q, k, v }, { scale: 0.25, causal: false });
    expectTensorsClose(implicit, explicit, { atol: 0, rtol: 0 });
    expect(Array.from(implicit.dataSync()).some((x) => x !== 0)).toBe(true);
    for (const scale of [nan, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0.25]) {
      for (const path of ['run', 'reference'] as const) {
        expect(() => fusedAttentionKernel[path]({ q, k, v }, { scale }), `${path}, scale ${scale}`).toThrow(
          /EAFusedAttention: `attrs\.scale` must be a finite number > 0/,
        );
      }
    }
    for (const causal of ['yes', 1, null]) {
      for (const path of ['run', 'reference'] as const) {
        expect(() =>
          fusedAttentionKernel[path]({ q, k, v }, { causal: causal as unknown as boolean }),
        ).toThrow(InvalidArgumentError);
        expect(() =>
          fusedAttentionKernel[path]({ q, k, v }, { causal: causal as unknown as boolean }),
        ).toThrow(/`attrs\.causal` must be a boolean/);
      }
    }
    expect(() => fusedAttentionKernel.run({ q, k, v }, { scale: 1, casual: true } as never)).toThrow(
      /attrs\.casual/,
    );
    tf.dispose([q, k, v, implicit, explicit]);
  });
});
