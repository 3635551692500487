import { assertKnownOptions, assertNumber, InvalidArgumentError } from '@efficient-attention/core';

/**
 * Context extension for RoPE: how the rotation frequencies change so that a model trained on short
 * sequences runs on longer ones.
 *
 * - `linear`: position interpolation (Chen et al. 2023, https://arxiv.org/abs/2306.15595): positions are
 *   divided by `factor` (θ_i / factor).
 * - `ntk`: "NTK-aware" scaling (bloc97, 2023; formalised in the YaRN paper §3.1): the base becomes
 *   `base · factor^(d / (d − 2))`, which leaves the highest frequency alone and stretches the lowest by
 *   `factor`.
 * - `yarn`: YaRN (Peng et al. 2023, https://arxiv.org/abs/2309.00071): "NTK-by-parts" — pairs whose
 *   wavelength is short against `originalMaxLength` (more than `betaFast` turns) keep θ_i, pairs with
 *   fewer than `betaSlow` turns are interpolated (θ_i / factor), with a linear ramp between — plus an
 *   attention factor `0.1·ln(factor) + 1` on cos and sin (so q·k scales by its square).
 *
 * @example
 * ```ts
 * const scaling: RopeScaling = { type: 'yarn', factor: 8, originalMaxLength: 4096 }; // 4k → 32k
 * const enc = rope({ headDim: 128, base: 500000, scaling });
 * ```
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'ntk'; factor: number }
  | {
      type: 'yarn';
      factor: number;
      /** The context length the model was trained with. */
      originalMaxLength: number;
      /** Rotations above which a pair is extrapolated (kept). Default `32`. */
      betaFast?: number;
      /** Rotations below which a pair is interpolated. Default `1`. */
      betaSlow?: number;
      /**
       * Multiplier of cos and sin (so logits scale by its square). Default `0.1·ln(factor) + 1` (1 when
       * factor ≤ 1). Pass `1` to leave the tables unscaled and apply the temperature to the scores yourself.
       */
      attentionFactor?: number;
    };

/** Options of {@link ropeFrequencies}. */
export interface RopeFrequencyOptions {
  /** Rotated dimensions d (even, ≥ 2): there are d/2 frequencies. */
  rotaryDim: number;
  /** The wavelength base. Default `10000`. */
  base?: number;
  /** Context-extension scaling. Default none. */
  scaling?: RopeScaling;
}

/** The rotation frequencies of RoPE and the amplitude folded into its tables. */
export interface RopeFrequencies {
  /** θ_i for pair i = 0 … d/2 − 1, float64 (angle of position p is p·θ_i). */
  readonly inverseFrequencies: Float64Array;
  /** Multiplier of cos and sin (YaRN), else 1. */
  readonly attentionFactor: number;
}

const FN = 'ropeFrequencies';
const SCALING_KEYS: Record<RopeScaling['type'], readonly string[]> = {
  linear: ['type', 'factor'],
  ntk: ['type', 'factor'],
  yarn: ['type', 'factor', 'originalMaxLength', 'betaFast', 'betaSlow', 'attentionFactor'],
};

/**
 * RoPE's frequencies θ_i = base^(−2i/d) (Su et al. 2021, eq. 15: https://arxiv.org/abs/2104.09864), after
 * the optional context-extension scaling. YaRN follows the authors' reference implementation and Hugging
 * Face's `_compute_yarn_parameters`: the ramp runs over pair indices between
 * `floor(d·ln(L/(2π·betaFast)) / (2 ln base))` and `ceil(d·ln(L/(2π·betaSlow)) / (2 ln base))`, clamped to
 * [0, d − 1].
 *
 * @example
 * ```ts
 * const { inverseFrequencies, attentionFactor } = ropeFrequencies({
 *   rotaryDim: 128,
 *   scaling: { type: 'yarn', factor: 4, originalMaxLength: 4096 },
 * });
 * attentionFactor; // 1 + 0.1·ln 4 ≈ 1.1386
 * ```
 */
export function ropeFrequencies(options: RopeFrequencyOptions): RopeFrequencies {
  assertKnownOptions(FN, options, ['rotaryDim', 'base', 'scaling']);
  const { rotaryDim, base = 10000, scaling } = options ?? ({} as RopeFrequencyOptions);
  return computeFrequencies(FN, 'options', rotaryDim, base, scaling);
}

/** {@link ropeFrequencies} with the caller's function name and option prefix in error messages. */
export function computeFrequencies(
  fn: string,
  prefix: string,
  rotaryDim: number,
  base: number,
  scaling: RopeScaling | undefined,
): RopeFrequencies {
  assertNumber(fn, `${prefix}.rotaryDim`, rotaryDim, { integer: true, min: 2 });
  if (rotaryDim % 2 !== 0)
    throw new InvalidArgumentError(fn, `${prefix}.rotaryDim`, 'an even integer', rotaryDim);
  assertNumber(fn, `${prefix}.base`, base);
  if (!(base > 1)) throw new InvalidArgumentError(fn, `${prefix}.base`, 'a finite number > 1', base);
  const half = rotaryDim / 2;
  const plain = (b: number) => Float64Array.from({ length: half }, (_, i) => b ** (-(2 * i) / rotaryDim));
  if (scaling === undefined) return { inverseFrequencies: plain(base), attentionFactor: 1 };

  const s = `${prefix}.scaling`;
  if (scaling === null || typeof scaling !== 'object' || !(scaling.type in SCALING_KEYS)) {
    throw new InvalidArgumentError(fn, s, "a scaling object with type 'linear', 'ntk' or 'yarn'", scaling);
  }
  assertKnownOptions(fn, scaling, SCALING_KEYS[scaling.type]);
  assertNumber(fn, `${s}.factor`, scaling.factor, { positive: true });
  const factor = scaling.factor;
  switch (scaling.type) {
    case 'linear':
      return { inverseFrequencies: plain(base).map((f) => f / factor), attentionFactor: 1 };
    case 'ntk':
      if (rotaryDim === 2) {
        throw new InvalidArgumentError(
          fn,
          `${prefix}.rotaryDim`,
          'at least 4 for NTK scaling (d / (d − 2))',
          rotaryDim,
        );
      }
      return {
        inverseFrequencies: plain(base * factor ** (rotaryDim / (rotaryDim - 2))),
        attentionFactor: 1,
      };
    case 'yarn': {
      const { originalMaxLength, betaFast = 32, betaSlow = 1 } = scaling;
      assertNumber(fn, `${s}.originalMaxLength`, originalMaxLength, { integer: true, min: 1 });
      assertNumber(fn, `${s}.betaSlow`, betaSlow, { positive: true });
      assertNumber(fn, `${s}.betaFast`, betaFast, { positive: true });
      if (!(betaFast > betaSlow)) {
        throw new InvalidArgumentError(fn, `${s}.betaFast`, `a number > betaSlow (${betaSlow})`, betaFast);
      }
      const attentionFactor = scaling.attentionFactor ?? (factor > 1 ? 0.1 * Math.log(factor) + 1 : 1);
      assertNumber(fn, `${s}.attentionFactor`, attentionFactor, { positive: true });
      // Pair index whose wavelength 2π·base^(2i/d) fits `turns` times into originalMaxLength.
      const pairFor = (turns: number) =>
        (rotaryDim * Math.log(originalMaxLength / (turns * 2 * Math.PI))) / (2 * Math.log(base));
      const low = Math.max(Math.floor(pairFor(betaFast)), 0);
      let high = Math.min(Math.ceil(pairFor(betaSlow)), rotaryDim - 1);
      if (high === low) high += 0.001; // as the reference implementation, to avoid 0/0
      const extrapolated = plain(base);
      const inverseFrequencies = extrapolated.map((theta, i) => {
        const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
        const keep = 1 - ramp; // 1: keep θ_i (high frequency); 0: interpolate θ_i / factor
        return (theta / factor) * (1 - keep) + theta * keep;
      });
      return { inverseFrequencies, attentionFactor };
    }
  }
}
