import { describe, expect, it } from 'vitest';
import { expectCloseWithNaNs } from './fuzz.js';
import { FLOAT32_UNDERFLOW_WEIGHT, referenceAttention, underflowAmbiguous } from './reference-attention.js';

// Long-run counterexample of backends.fuzz (FUZZ_RUNS=3000, seed 424242): scale 1.87, head dim 80, a +∞ value
// whose key's float64 weight is positive but below float32's smallest normal. float64 gives +∞ (tiny · ∞), the
// float32 kernels NaN (their exp flushes the weight to 0: 0 · ∞). Both are right; the reference marks the
// element and expectCloseWithNaNs accepts either there — and nowhere else.
describe('underflow-ambiguous elements of the float64 reference', () => {
  // One query, two keys: scores 0 and −100 (weight e^−100 ≈ 3.7e−44 < 1e−37); key 1's value is +∞ in column 0.
  const x = {
    q: [1],
    k: [0, -100],
    v: [1, 2, Number.POSITIVE_INFINITY, 3],
    batch: 1,
    heads: 1,
    kvHeads: 1,
    qLen: 1,
    kvLen: 2,
    headDim: 1,
    valueDim: 2,
  };

  it('marks a tiny-weight ±∞ element, and only it', () => {
    const { output, weights } = referenceAttention(x, { scale: 1 });
    expect(weights[1]).toBeGreaterThan(0);
    expect(weights[1]).toBeLessThan(FLOAT32_UNDERFLOW_WEIGHT);
    expect(output[0]).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(underflowAmbiguous.get(output) ?? [])).toEqual([1, 0]);
  });

  it('expectCloseWithNaNs accepts NaN or the reference there, and still checks the other elements', () => {
    const { output } = referenceAttention(x, { scale: 1 });
    expect(() => expectCloseWithNaNs([Number.NaN, output[1]!], output)).not.toThrow();
    expect(() => expectCloseWithNaNs([Number.POSITIVE_INFINITY, output[1]!], output)).not.toThrow();
    expect(() => expectCloseWithNaNs([0, output[1]!], output)).toThrow(/element 0/);
    expect(() => expectCloseWithNaNs([Number.NaN, Number.NaN], output)).toThrow(/element 1/);
  });

  it('a weight that does not underflow is not marked: +∞ is the only answer', () => {
    const { output } = referenceAttention({ ...x, k: [0, -10] }, { scale: 1 });
    expect(underflowAmbiguous.get(output)).toBeUndefined();
    expect(() => expectCloseWithNaNs([Number.NaN, output[1]!], output)).toThrow(/element 0/);
  });
});
