import { InvalidArgumentError } from '@efficient-attention/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RopeScaling, ropeFrequencies } from './rope-frequencies.js';

const closeTo = (actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-12) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(rel * Math.abs(expected[i]!));
  }
};

// Pure float64 functions: no backend involved, so these run once.
describe('ropeFrequencies', () => {
  it('is θ_i = base^(−2i/d) without scaling (RoFormer eq. 15), and θ_i / factor with linear scaling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 2, max: 1e7, noNaN: true }),
        fc.double({ min: 0.1, max: 64, noNaN: true }),
        (pairs, base, factor) => {
          const d = 2 * pairs;
          const theta = Array.from({ length: pairs }, (_, i) => base ** (-(2 * i) / d));
          const plain = ropeFrequencies({ rotaryDim: d, base });
          closeTo(plain.inverseFrequencies, theta);
          expect(plain.attentionFactor).toBe(1);
          const linear = ropeFrequencies({ rotaryDim: d, base, scaling: { type: 'linear', factor } });
          closeTo(
            linear.inverseFrequencies,
            theta.map((t) => t / factor),
          );
        },
      ),
      { seed: 201, numRuns: 40 },
    );
  });

  it('NTK-aware: base · factor^(d/(d−2)) keeps θ_0 = 1 and divides the lowest frequency by exactly the factor', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.double({ min: 1, max: 64, noNaN: true }),
        (pairs, factor) => {
          const d = 2 * pairs;
          const { inverseFrequencies: ntk } = ropeFrequencies({
            rotaryDim: d,
            scaling: { type: 'ntk', factor },
          });
          const base = 10000 * factor ** (d / (d - 2));
          closeTo(
            ntk,
            Array.from({ length: pairs }, (_, i) => base ** (-(2 * i) / d)),
          );
          expect(ntk[0]).toBe(1);
          // θ_last = (b·f^{d/(d−2)})^{−(d−2)/d} = b^{−(d−2)/d} / f.
          expect(ntk[pairs - 1]! * factor).toBeCloseTo(10000 ** (-(d - 2) / d), 12);
        },
      ),
      { seed: 202, numRuns: 30 },
    );
  });

  it('YaRN with a LLaMA-like setup (d = 128, L = 4096, factor 4): kept, ramped and interpolated pairs', () => {
    const { inverseFrequencies: yarn, attentionFactor } = ropeFrequencies({
      rotaryDim: 128,
      scaling: { type: 'yarn', factor: 4, originalMaxLength: 4096 },
    });
    const theta = (i: number) => 10000 ** (-(2 * i) / 128);
    // Hand-computed bounds: low = floor(128·ln(4096/(2π·32)) / (2 ln 10⁴)) = floor(20.94) = 20,
    // high = ceil(128·ln(4096/(2π)) / (2 ln 10⁴)) = ceil(45.03) = 46; ramp(i) = (i − 20)/26.
    for (let i = 0; i <= 20; i++) expect(yarn[i]).toBeCloseTo(theta(i), 14);
    for (let i = 46; i < 64; i++) expect(yarn[i]! / (theta(i) / 4)).toBeCloseTo(1, 12);
    // i = 33: ramp 0.5, so θ·(0.5 + 0.5/4).
    expect(yarn[33]! / theta(33)).toBeCloseTo(0.625, 12);
    expect(attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 14);
  });

  it('YaRN matches an independent transcription of the reference algorithm over random settings', () => {
    // Transcribed from the YaRN authors' `_yarn_find_correction_range` / `_yarn_linear_ramp_mask`.
    const reference = (d: number, base: number, f: number, L: number, fast: number, slow: number) => {
      const dimOf = (rot: number) => (d * Math.log(L / (rot * 2 * Math.PI))) / (2 * Math.log(base));
      const low = Math.max(Math.floor(dimOf(fast)), 0);
      const highRaw = Math.min(Math.ceil(dimOf(slow)), d - 1);
      const high = low === highRaw ? highRaw + 0.001 : highRaw;
      return Array.from({ length: d / 2 }, (_, i) => {
        const posFreq = base ** ((2 * i) / d);
        const mask = 1 - Math.min(1, Math.max(0, (i - low) / (high - low)));
        return (1 / (f * posFreq)) * (1 - mask) + (1 / posFreq) * mask;
      });
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.constantFrom(10000, 500000, 1e6),
        fc.double({ min: 1.5, max: 32, noNaN: true }),
        fc.integer({ min: 64, max: 65536 }),
        fc.constantFrom([32, 1], [16, 2], [64, 0.5]),
        (pairs, base, factor, L, [fast, slow]) => {
          const scaling: RopeScaling = {
            type: 'yarn',
            factor,
            originalMaxLength: L,
            betaFast: fast!,
            betaSlow: slow!,
          };
          const got = ropeFrequencies({ rotaryDim: 2 * pairs, base, scaling });
          closeTo(got.inverseFrequencies, reference(2 * pairs, base, factor, L, fast!, slow!));
        },
      ),
      { seed: 203, numRuns: 40 },
    );
  });

  it('YaRN attention factor: 0.1·ln(s) + 1, 1 for s ≤ 1, or the given value', () => {
    const af = (scaling: RopeScaling) => ropeFrequencies({ rotaryDim: 8, scaling }).attentionFactor;
    expect(af({ type: 'yarn', factor: 16, originalMaxLength: 2048 })).toBeCloseTo(1 + 0.1 * Math.log(16), 14);
    expect(af({ type: 'yarn', factor: 0.5, originalMaxLength: 2048 })).toBe(1);
    expect(af({ type: 'yarn', factor: 8, originalMaxLength: 2048, attentionFactor: 1.25 })).toBe(1.25);
  });

  it('rejects bad settings with InvalidArgumentError', () => {
    const bad: Array<[() => unknown, RegExp]> = [
      [() => ropeFrequencies({ rotaryDim: 7 }), /rotaryDim.*even/],
      [() => ropeFrequencies({ rotaryDim: 0 }), /rotaryDim/],
      [() => ropeFrequencies({ rotaryDim: 8, base: 0.5 }), /base.*> 1/],
      [() => ropeFrequencies({ rotaryDim: 8, scaling: { type: 'linear', factor: 0 } }), /factor.*> 0/],
      [() => ropeFrequencies({ rotaryDim: 8, scaling: { type: 'linear', factor: Number.NaN } }), /factor/],
      [() => ropeFrequencies({ rotaryDim: 2, scaling: { type: 'ntk', factor: 2 } }), /at least 4/],
      [
        () => ropeFrequencies({ rotaryDim: 8, scaling: { type: 'linear', factor: 2, extra: 1 } as never }),
        /extra/,
      ],
      [
        () => ropeFrequencies({ rotaryDim: 8, scaling: { type: 'yarn', factor: 2 } as never }),
        /originalMaxLength/,
      ],
      [
        () =>
          ropeFrequencies({
            rotaryDim: 8,
            scaling: { type: 'yarn', factor: 2, originalMaxLength: 9, betaFast: 1 },
          }),
        /betaFast.*> betaSlow/,
      ],
      [() => ropeFrequencies({ rotaryDim: 8, scaling: null as never }), /scaling/],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(message);
    }
  });
});
