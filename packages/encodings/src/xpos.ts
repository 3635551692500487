import { assertKnownOptions, assertNumber, InvalidArgumentError } from '@efficient-attention/core';

/** Options of xPos (the `xpos` option of {@link rope}). */
export interface XposOptions {
  /** Positions per unit of exponent. Default `512` (torchscale). */
  scaleBase?: number;
  /** γ of ζ_i = (2i/d + γ)/(1 + γ). Default `0.4`. */
  gamma?: number;
}

/** xPos with its options resolved: per-pair decay rates and the largest position float32 tables can hold. */
export interface Xpos {
  readonly scaleBase: number;
  readonly gamma: number;
  /** ζ_i for each pair, float64. */
  readonly decay: Float64Array;
  /** Positions above this overflow float32 (ζ_min^(−p/scaleBase) > 1e30); they are rejected. */
  readonly maxPosition: number;
  /** The amplitude of pair i at position p: ζ_i^(p/scaleBase) for queries, its inverse for keys. */
  amplitude(pair: number, position: number, role: 'query' | 'key'): number;
}

/**
 * Resolves xPos (Sun et al. 2022, "A Length-Extrapolatable Transformer", eq. 9:
 * https://arxiv.org/abs/2212.10554): queries at position m are scaled by ζ_i^(m/scaleBase) and keys at n by
 * ζ_i^(−n/scaleBase), so q·k gains ζ_i^((m−n)/scaleBase), a decay with distance that still depends only on
 * m − n. ζ_i = (2i/d + γ)/(1 + γ) as in torchscale's `XPOS`. Unlike torchscale, positions are not
 * re-centred per call (that would break KV caches); positions whose scale would overflow float32 throw.
 *
 * @example
 * ```ts
 * const x = resolveXpos('rope', 64, {});
 * x.amplitude(0, 512, 'query'); // ζ_0 = 0.4/1.4 ≈ 0.2857
 * ```
 */
export function resolveXpos(fn: string, rotaryDim: number, options: XposOptions | true): Xpos {
  const o = options === true ? {} : options;
  assertKnownOptions(fn, o, ['scaleBase', 'gamma']);
  const { scaleBase = 512, gamma = 0.4 } = o;
  assertNumber(fn, 'options.xpos.scaleBase', scaleBase, { positive: true });
  assertNumber(fn, 'options.xpos.gamma', gamma, { positive: true });
  const decay = Float64Array.from(
    { length: rotaryDim / 2 },
    (_, i) => ((2 * i) / rotaryDim + gamma) / (1 + gamma),
  );
  const maxPosition = Math.floor((30 * Math.LN10 * scaleBase) / -Math.log(decay[0]!));
  return {
    scaleBase,
    gamma,
    decay,
    maxPosition,
    amplitude: (pair, position, role) =>
      decay[pair]! ** ((role === 'query' ? position : -position) / scaleBase),
  };
}

/** Throws when a position is past what xPos tables can represent in float32. */
export function assertXposRange(fn: string, parameter: string, xpos: Xpos, maxPosition: number): void {
  if (maxPosition > xpos.maxPosition) {
    throw new InvalidArgumentError(
      fn,
      parameter,
      `positions ≤ ${xpos.maxPosition} with xPos (scaleBase ${xpos.scaleBase}): larger ones overflow float32`,
      maxPosition,
      'Raise xpos.scaleBase, or use plain RoPE for longer contexts.',
    );
  }
}
