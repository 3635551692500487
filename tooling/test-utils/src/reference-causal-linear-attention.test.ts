import { describe, expect, it } from 'vitest';
import { finiteDifferenceGradient } from './finite-difference.js';
import {
  referenceCausalLinearAttention,
  referenceCausalLinearAttentionGrad,
} from './reference-causal-linear-attention.js';
import { seededNormalValues } from './tensors.js';

// The analytic float64 gradient against central differences of the float64 forward (both float64: the
// finite-difference error at eps = 1e-5 is ~1e-9 for these O(1) values; tolerance 1e-6 absolute).
describe('referenceCausalLinearAttentionGrad', () => {
  const modes = [
    { normalize: true, reverse: false },
    { normalize: true, reverse: true },
    { normalize: false, reverse: false },
    { normalize: false, reverse: true },
  ];
  modes.forEach((mode, m) => {
    it(`matches central differences (${JSON.stringify(mode)})`, () => {
      const [planes, n, features, valueDim] = [2, 6, 3, 2];
      // Positive features keep the normaliser away from its eps floor (the kink of max(den, eps)).
      const positive = (size: number, seed: number) =>
        Float64Array.from(seededNormalValues(size, seed), (x) => Math.exp(x / 2));
      const phiQ = positive(planes * n * features, 10 + m);
      const phiK = positive(planes * n * features, 20 + m);
      const v = Float64Array.from(seededNormalValues(planes * n * valueDim, 30 + m));
      const dOut = Float64Array.from(seededNormalValues(planes * n * valueDim, 40 + m));
      const shape = { planes, n, features, valueDim };
      const options = { eps: 1e-6, ...mode };
      const loss = (q: Float64Array, k: Float64Array, vv: Float64Array) =>
        referenceCausalLinearAttention({ ...shape, phiQ: q, phiK: k, v: vv }, options).reduce(
          (s, o, i) => s + o * dOut[i]!,
          0,
        );
      const grads = referenceCausalLinearAttentionGrad({ ...shape, phiQ, phiK, v }, dOut, options);
      const fd = {
        dPhiQ: finiteDifferenceGradient((x) => loss(x, phiK, v), phiQ),
        dPhiK: finiteDifferenceGradient((x) => loss(phiQ, x, v), phiK),
        dV: finiteDifferenceGradient((x) => loss(phiQ, phiK, x), v),
      };
      for (const key of ['dPhiQ', 'dPhiK', 'dV'] as const) {
        expect(grads[key].length).toBe(fd[key].length);
        grads[key].forEach((g, i) => {
          expect(Math.abs(g - fd[key][i]!), `${key}[${i}]`).toBeLessThan(1e-6);
        });
      }
      // Causal: the last key is seen by the last row only, so its value gradient is that row's alone; the
      // first key by every row. Reverse: the other way round. A check that the direction is honoured.
      const lastOnly = mode.reverse ? 0 : n - 1;
      expect(grads.dV[lastOnly * valueDim]).not.toBe(0);
    });
  });

  it('gives a zero normaliser gradient below eps (the maximum picks eps)', () => {
    // φ(q) row 0 is zero: den_0 = 0 < eps, out_0 = 0, and only the numerator path carries a gradient.
    const x = {
      phiQ: [0, 0, 1, 1],
      phiK: [1, 2, 3, 4],
      v: [5, 7],
      planes: 1,
      n: 2,
      features: 2,
      valueDim: 1,
    };
    const { dPhiQ, dPhiK, dV, output } = referenceCausalLinearAttentionGrad(x, [1, 0], { eps: 0.5 });
    expect(Array.from(output)).toEqual([0, (3 * 5 + 7 * 7) / 10]);
    // Row 0: d out_0 / d φq_0 = φk_0 · v_0 / eps (the max is eps: no normaliser term).
    expect(Array.from(dPhiQ.subarray(0, 2))).toEqual([(1 * 5) / 0.5, (2 * 5) / 0.5]);
    expect(Array.from(dPhiK)).toEqual([0, 0, 0, 0]);
    expect(Array.from(dV)).toEqual([0, 0]);
  });
});
