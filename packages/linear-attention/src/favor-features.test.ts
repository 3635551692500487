import { describe, expect, it } from 'vitest';
import { favorFeatures } from './favor-features.js';
import { favorPlus } from './feature-maps.js';

const row = (w: Float32Array, d: number, i: number) => w.subarray(i * d, (i + 1) * d);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let t = 0; t < a.length; t++) s += a[t]! * b[t]!;
  return s;
};

describe('favorFeatures', () => {
  it('draws block-orthogonal rows with chi(d) norms (rows of different blocks are independent)', () => {
    const d = 16;
    const w = favorFeatures(d, favorPlus({ numFeatures: 40, seed: 3 })); // blocks of 16, 16, 8 rows
    expect(w.length).toBe(40 * d);
    const norms = Array.from({ length: 40 }, (_, i) => Math.sqrt(dot(row(w, d, i), row(w, d, i))));
    for (let i = 0; i < 40; i++) {
      for (let j = i + 1; j < 40; j++) {
        if (Math.floor(i / d) !== Math.floor(j / d)) continue;
        // Orthogonal within a block: |cos| at float32 rounding.
        expect(Math.abs(dot(row(w, d, i), row(w, d, j)) / (norms[i]! * norms[j]!))).toBeLessThan(1e-5);
      }
    }
    // chi(16) has mean ≈ 3.94 and sd ≈ 0.70: 40 norms average within 3.94 ± 0.4 (≈ 3.6 standard errors)
    // and are not all equal (a row-normalised matrix would have norms √d = 4 exactly).
    const mean = norms.reduce((a, b) => a + b, 0) / 40;
    expect(Math.abs(mean - 3.94)).toBeLessThan(0.4);
    expect(Math.max(...norms) - Math.min(...norms)).toBeGreaterThan(0.5);
  });

  it('is a pure function of (seed, redraw), and redraw changes it', () => {
    const a = favorFeatures(8, favorPlus({ numFeatures: 10, seed: 1 }));
    expect(favorFeatures(8, favorPlus({ numFeatures: 10, seed: 1 }))).toEqual(a);
    expect(favorFeatures(8, favorPlus({ numFeatures: 10, seed: 1, redraw: 1 }))).not.toEqual(a);
    expect(favorFeatures(8, favorPlus({ numFeatures: 10, seed: 2 }))).not.toEqual(a);
  });

  it('gives an unbiased estimate of the softmax kernel exp(q·k/√d) (Lemma 1), i.i.d. and orthogonal', () => {
    // Average φ(q)·φ(k) = mean_f exp(w_f·(q̃ + k̃) − ‖q̃‖²/2 − ‖k̃‖²/2) over 300 redraws of m = 32 features
    // (9600 samples). With ‖q̃ + k̃‖² ≈ 0.5 here, the per-sample relative sd is √(e^0.5 − 1) ≈ 0.8, so the
    // mean's relative sd is ≈ 0.8/√9600 ≈ 0.008: a 4% tolerance is 5 sd.
    const d = 8;
    const q = [0.3, -0.2, 0.1, 0.4, -0.3, 0.2, 0.1, -0.1];
    const k = [0.2, 0.1, -0.3, 0.2, 0.1, -0.2, 0.3, 0.2];
    const s = d ** -0.25;
    const exact = Math.exp(dot(q, k) / Math.sqrt(d));
    const half = (x: number[]) => dot(x, x) * s * s * 0.5;
    for (const orthogonal of [false, true]) {
      let sum = 0;
      let count = 0;
      for (let redraw = 0; redraw < 300; redraw++) {
        const w = favorFeatures(d, favorPlus({ numFeatures: 32, seed: 9, redraw, orthogonal }));
        for (let f = 0; f < 32; f++) {
          const wf = row(w, d, f);
          sum += Math.exp(s * (dot(wf, q) + dot(wf, k)) - half(q) - half(k));
          count++;
        }
      }
      expect(Math.abs(sum / count / exact - 1)).toBeLessThan(0.04);
    }
  });

  it('names a bad head dimension', () => {
    expect(() => favorFeatures(0, favorPlus())).toThrow(
      /favorFeatures: `headDim` must be an integer ≥ 1, received 0/,
    );
  });
});
