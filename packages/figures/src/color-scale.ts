import { scaleSequential } from 'd3-scale';
import { interpolateCividis, interpolateViridis } from 'd3-scale-chromatic';

/** The colour-blind-safe sequential schemes figures may use. */
export type ColorSchemeName = 'viridis' | 'cividis';

const INTERPOLATORS = { viridis: interpolateViridis, cividis: interpolateCividis } as const;

/**
 * A sequential d3 colour scale over `[min, max]` with a perceptually uniform, colour-blind-safe scheme
 * (viridis or cividis, Nuñez et al. 2018, https://doi.org/10.1371/journal.pone.0199239).
 *
 * @example
 * ```ts
 * const color = sequentialColor([0, 1], 'cividis');
 * color(0.5); // 'rgb(…)'
 * ```
 */
export function sequentialColor(
  domain: readonly [number, number],
  scheme: ColorSchemeName = 'viridis',
): (value: number) => string {
  const [lo, hi] = domain;
  // A constant matrix still gets a valid (non-degenerate) domain.
  const scale = scaleSequential(INTERPOLATORS[scheme]).domain([lo, hi > lo ? hi : lo + 1]);
  return (value: number) => scale(value);
}

/**
 * `count` evenly spaced colours of a scheme, for categorical series (lines, bars) that stay
 * distinguishable without colour vision. The scheme's brightest end is skipped: yellow on white is faint.
 *
 * @example
 * ```ts
 * categoricalColors(3); // three viridis colours, dark to green
 * ```
 */
export function categoricalColors(count: number, scheme: ColorSchemeName = 'viridis'): string[] {
  const interpolate = INTERPOLATORS[scheme];
  if (count <= 1) return [interpolate(0.2)];
  return Array.from({ length: count }, (_, i) => interpolate((0.85 * i) / (count - 1)));
}

/** The smallest and largest finite values of a matrix (`[0, 1]` when it holds none). */
export function matrixExtent(matrix: readonly (readonly number[])[]): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const row of matrix) {
    for (const v of row) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}
