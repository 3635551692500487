import { scaledDotProductAttention } from '@efficient-attention/core';
import {
  describeBackends,
  expectTensorsClose,
  relativeError,
  seededTensor,
} from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { eluPlusOne, favorPlus, featureCount, relu, resolveFeatureMap } from './feature-maps.js';
import { linearAttention } from './linear-attention.js';

describe('feature maps as data', () => {
  it('are frozen descriptions with documented defaults', () => {
    expect(eluPlusOne()).toEqual({ kind: 'elu-plus-one' });
    expect(relu()).toEqual({ kind: 'relu' });
    const f = favorPlus();
    expect(f).toEqual({
      kind: 'favor-plus',
      numFeatures: 'auto',
      orthogonal: true,
      seed: 0,
      redraw: 0,
      stabilize: true,
    });
    expect(Object.isFrozen(f)).toBe(true);
    // JSON round trip (model configs): the same map comes back.
    expect(resolveFeatureMap('t', 'map', JSON.parse(JSON.stringify(favorPlus({ seed: 4 }))))).toEqual(
      favorPlus({ seed: 4 }),
    );
  });

  it('count ⌈d·ln d⌉ FAVOR+ features by default, d for elu+1 and ReLU', () => {
    expect(featureCount(favorPlus(), 64)).toBe(267); // ⌈64 · 4.1589⌉
    expect(featureCount(favorPlus(), 16)).toBe(45);
    expect(featureCount(favorPlus(), 1)).toBe(1); // ln 1 = 0: at least one feature
    expect(featureCount(favorPlus({ numFeatures: 7 }), 64)).toBe(7);
    expect(featureCount(eluPlusOne(), 12)).toBe(12);
  });

  it('reject numFeatures ≤ 0, unknown keys and unknown kinds', () => {
    expect(() => favorPlus({ numFeatures: 0 })).toThrow(
      /favorPlus: `options.numFeatures` must be an integer ≥ 1, received 0/,
    );
    expect(() => favorPlus({ numFeatures: -3 })).toThrow(/received -3/);
    expect(() => favorPlus({ numFeatures: 2.5 })).toThrow(/must be an integer/);
    expect(() => favorPlus({ features: 8 } as never)).toThrow(
      /`options.features` must be one of the known options/,
    );
    expect(() => favorPlus({ orthogonal: 'yes' } as never)).toThrow(/`options.orthogonal` must be a boolean/);
    expect(() => resolveFeatureMap('f', 'options.featureMap', { kind: 'relu', scale: 2 })).toThrow(
      /options.scale/,
    );
    expect(() => resolveFeatureMap('f', 'options.featureMap', 'relu')).toThrow(
      /must be a feature map built by/,
    );
  });
});

describeBackends('FAVOR+ (linearAttention with favorPlus)', () => {
  it('stabilisation is exact: stabilised and raw features give the same attention', () => {
    const q = seededTensor([1, 2, 40, 8], 1, 0.7).tensor;
    const k = seededTensor([1, 2, 40, 8], 2, 0.7).tensor;
    const v = seededTensor([1, 2, 40, 8], 3).tensor;
    for (const causal of [false, true]) {
      const stable = linearAttention(q, k, v, {
        causal,
        featureMap: favorPlus({ numFeatures: 32, seed: 1 }),
      });
      const raw = linearAttention(q, k, v, {
        causal,
        featureMap: favorPlus({ numFeatures: 32, seed: 1, stabilize: false }),
      });
      // The max-subtractions are positive constants on num and den alike: float32 rounding only.
      expectTensorsClose(stable, raw, { atol: 1e-5, rtol: 1e-4 });
      tf.dispose([stable, raw]);
    }
    tf.dispose([q, k, v]);
  });

  it('keeps features representable where raw ones underflow to zero', () => {
    // ‖q‖ ≈ 64 at d = 16: the raw exponent w·x̃ − ‖x̃‖²/2 = ‖w‖²/2 − ‖x̃ − w‖²/2 is ≈ −500 for every feature,
    // so exp underflows, every normaliser is 0 and the output degenerates to zeros. Stabilised features keep
    // the largest one at exactly 1.
    const q = seededTensor([1, 1, 16, 16], 4, 16).tensor;
    const raw = linearAttention(q, q, q, { featureMap: favorPlus({ numFeatures: 16, stabilize: false }) });
    const stable = linearAttention(q, q, q, { featureMap: favorPlus({ numFeatures: 16 }) });
    expect(Array.from(raw.dataSync()).every((x) => x === 0)).toBe(true);
    const values = Array.from(stable.dataSync());
    expect(values.every(Number.isFinite)).toBe(true);
    expect(values.some((x) => Math.abs(x) > 1)).toBe(true);
    tf.dispose([q, raw, stable]);
  });

  it('error vs exact softmax attention shrinks as features grow (m = 16, 64, 256; d = 64) and is bounded at 256', () => {
    // Inputs in the regime FAVOR+ is for: q, k entries N(0, 0.5²), so ‖q̃‖² = ‖q‖²/√d ≈ 2. The estimator's
    // variance grows like exp(‖q̃ + k̃‖²) (Choromanski et al. 2020, Lemma 2): at unit-normal d = 64 inputs the
    // relative error stays near 2 even at m = 4096 (measured; see the README).
    const seeds = [0, 1, 2, 3];
    const meanError = (m: number) =>
      seeds.reduce((acc, seed) => {
        const q = seededTensor([1, 2, 64, 64], 10 + seed, 0.5).tensor;
        const k = seededTensor([1, 2, 64, 64], 20 + seed, 0.5).tensor;
        const v = seededTensor([1, 2, 64, 64], 30 + seed).tensor;
        const approx = linearAttention(q, k, v, { featureMap: favorPlus({ numFeatures: m, seed }) });
        const exact = scaledDotProductAttention(q, k, v);
        const e = relativeError(approx.dataSync(), exact.dataSync());
        tf.dispose([q, k, v, approx, exact]);
        return acc + e / seeds.length;
      }, 0);
    const [e16, e64, e256] = [meanError(16), meanError(64), meanError(256)];
    // Measured means 1.00, 0.61, 0.40 (Monte Carlo error ∝ 1/√m, halving per 4× features).
    expect(e64).toBeLessThan(0.85 * e16);
    expect(e256).toBeLessThan(0.85 * e64);
    expect(e256).toBeLessThan(0.5);
  });
});
