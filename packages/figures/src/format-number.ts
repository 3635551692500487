/**
 * A number for figure captions and readouts: up to `digits` significant digits, no trailing zeros,
 * scientific notation only for very large or small magnitudes.
 *
 * @example
 * ```ts
 * formatNumber(0.2890625); // '0.2891'
 * formatNumber(4194304); // '4.194e+6'
 * ```
 */
export function formatNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(digits)));
}

/**
 * A fraction as a percentage with `digits` decimals.
 *
 * @example
 * ```ts
 * formatPercent(0.2890625); // '28.91%'
 * ```
 */
export function formatPercent(fraction: number, digits = 2): string {
  return `${(100 * fraction).toFixed(digits)}%`;
}

/**
 * A byte count in B, KiB or MiB.
 *
 * @example
 * ```ts
 * formatBytes(4096); // '4 KiB'
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${formatNumber(bytes)} B`;
  if (bytes < 1024 * 1024) return `${formatNumber(bytes / 1024)} KiB`;
  return `${formatNumber(bytes / (1024 * 1024))} MiB`;
}
