/**
 * The median of a non-empty list: the middle value for an odd count, the mean of the two middle values for
 * an even count. The one definition every bench, experiment, figure and browser page uses, so ratios across
 * them compare the same statistic. Browser-safe (no Node modules): import it from
 * `@efficient-attention/bench/median`.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 2, 3]); // 2.5
 * ```
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of an empty list: time at least one run');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
