/** Formatting of numbers for tables: one place, so the terminal and markdown tables agree. */

/** A number with sensible digits (3 significant below 100, integers above); '—' for null. */
export function formatNumber(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

/** A ratio as `2.5×`; '—' when there is none. */
export function formatRatio(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${formatNumber(x)}×`;
}

/** A share as a percentage with one decimal: 0.8731 → '87.3%'. */
export function formatPercent(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`;
}

/** Bytes in KB / MB with 3 significant digits. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024 * 1024) return `${formatNumber(bytes / 1024)} KB`;
  return `${formatNumber(bytes / (1024 * 1024))} MB`;
}

/** Mean ± sample standard deviation over seeds (just the mean for one seed). */
export function formatSpread(values: readonly number[], format: (x: number) => string): string {
  if (values.length === 0) return '—';
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return format(m);
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
  return `${format(m)} ± ${format(sd)}`;
}

/** A formatter of per-seed values: mean ± sample standard deviation with `format`, '—' for none. */
export function spreadOf(format: (x: number) => string): (values: readonly number[]) => string {
  return (values) => formatSpread(values, format);
}
