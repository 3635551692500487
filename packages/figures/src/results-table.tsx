import { type ReactNode, useMemo, useState } from 'react';
import { formatNumber } from './format-number.js';

/** One row of an experiments results JSON (`results/<preset>/<experiment>.json`'s `rows`). */
export type ResultRow = Readonly<Record<string, unknown>>;

/** Props of {@link ResultsTable}. */
export interface ResultsTableProps {
  rows: readonly ResultRow[];
  /** Columns to show, in order. Default: every key of the first row, in its order. */
  columns?: readonly string[];
  caption?: ReactNode;
  /** Significant digits of numbers. Default 4. */
  digits?: number;
}

function cell(value: unknown, digits: number): string {
  if (typeof value === 'number') return formatNumber(value, digits);
  if (value === undefined || value === null) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * The rows of an experiments results file as a table whose columns sort on click (numbers numerically),
 * for section 8 of the blog next to the experiments' SVG plots.
 *
 * @example
 * ```tsx
 * <ResultsTable rows={results.rows} columns={['implementation', 'n', 'medianMs']} caption="Quick preset, wasm" />
 * ```
 */
export function ResultsTable({ rows, columns, caption, digits = 4 }: ResultsTableProps) {
  const keys = columns ?? Object.keys(rows[0] ?? {});
  const [sort, setSort] = useState<{ key: string; descending: boolean } | undefined>(undefined);
  const sorted = useMemo(() => {
    if (sort === undefined) return rows;
    const sign = sort.descending ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = a[sort.key];
      const y = b[sort.key];
      if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
      return sign * String(x).localeCompare(String(y));
    });
  }, [rows, sort]);
  return (
    <table className="ea-results-table">
      {caption !== undefined && <caption>{caption}</caption>}
      <thead>
        <tr>
          {keys.map((k) => (
            <th
              key={k}
              scope="col"
              aria-sort={sort?.key === k ? (sort.descending ? 'descending' : 'ascending') : 'none'}
            >
              <button
                type="button"
                onClick={() =>
                  setSort((old) => ({ key: k, descending: old?.key === k ? !old.descending : false }))
                }
              >
                {k}
              </button>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.map((row, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: result rows have no identity beyond their position.
          <tr key={i}>
            {keys.map((k) => (
              <td key={k}>{cell(row[k], digits)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
