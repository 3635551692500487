import * as Plot from '@observablehq/plot';
import type { ReactNode } from 'react';
import { categoricalColors } from './color-scale.js';
import { formatNumber } from './format-number.js';
import { usePlot } from './use-plot.js';

/** One line of a {@link LineChart}: `y[i]` at `x[i]`. */
export interface LineSeries {
  name: string;
  x: readonly number[];
  y: readonly number[];
}

/** Props of {@link LineChart}. */
export interface LineChartProps {
  series: readonly LineSeries[];
  /** Accessible name of the chart. */
  label: string;
  caption?: ReactNode;
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis (non-positive x are left out). */
  logX?: boolean;
  /** Logarithmic y axis (non-positive y are left out). */
  logY?: boolean;
  /** Reference curves drawn dashed and grey, labelled at their end (e.g. the O(N²) and O(N) guides). */
  guides?: readonly LineSeries[];
  /** Default 520. */
  width?: number;
  /** Default 300. */
  height?: number;
  /** Show the numbers in a collapsible table under the chart. Default true. */
  dataTable?: boolean;
}

interface Point {
  series: string;
  x: number;
  y: number;
}

function points(series: readonly LineSeries[], logX: boolean, logY: boolean): Point[] {
  const out: Point[] = [];
  for (const s of series) {
    for (let i = 0; i < Math.min(s.x.length, s.y.length); i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logX && x <= 0) || (logY && y <= 0)) continue;
      out.push({ series: s.name, x, y });
    }
  }
  return out;
}

/**
 * Lines over a shared x axis, drawn by Observable Plot (https://observablehq.com/plot/) in an effect,
 * with optional log axes, dashed guide curves, a colour-blind-safe legend (viridis samples) and the data as
 * a table for screen readers.
 *
 * @example
 * ```tsx
 * <LineChart label="Cost" xLabel="N" yLabel="FLOPs" logX logY
 *   series={[{ name: 'dense', x: [1, 2], y: [1, 4] }]} />
 * ```
 */
export function LineChart({
  series,
  label,
  caption,
  xLabel,
  yLabel,
  logX = false,
  logY = false,
  guides = [],
  width = 520,
  height = 300,
  dataTable = true,
}: LineChartProps) {
  const ref = usePlot(() => {
    const data = points(series, logX, logY);
    const guideData = points(guides, logX, logY);
    const guideEnds = guides
      .map((g) => guideData.filter((p) => p.series === g.name).at(-1))
      .filter((p): p is Point => p !== undefined);
    const names = series.map((s) => s.name);
    return Plot.plot({
      width,
      height,
      marginRight: 60,
      ariaLabel: label,
      // Without a type, Plot gives numbers its default linear scale.
      x: { type: logX ? 'log' : undefined, label: xLabel, grid: true },
      y: { type: logY ? 'log' : undefined, label: yLabel, grid: true },
      color: { domain: names, range: categoricalColors(names.length), legend: names.length > 1 },
      marks: [
        Plot.line(guideData, { x: 'x', y: 'y', z: 'series', stroke: '#888', strokeDasharray: '5,4' }),
        Plot.text(guideEnds, { x: 'x', y: 'y', text: 'series', dx: 4, textAnchor: 'start', fill: '#666' }),
        Plot.line(data, { x: 'x', y: 'y', stroke: 'series', strokeWidth: 2, marker: 'circle-stroke' }),
      ],
      document: globalThis.document,
    });
  }, [series, guides, logX, logY, width, height, label, xLabel, yLabel]);

  return (
    <figure className="ea-line-chart" style={{ margin: 0 }}>
      <div ref={ref} role="img" aria-label={label} />
      {dataTable && (
        <details>
          <summary>Data: {label}</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">series</th>
                <th scope="col">{xLabel}</th>
                <th scope="col">{yLabel}</th>
              </tr>
            </thead>
            <tbody>
              {series.flatMap((s) =>
                s.x.map((x, i) => (
                  <tr key={`${s.name}-${x}`}>
                    <td>{s.name}</td>
                    <td>{formatNumber(x)}</td>
                    <td>{formatNumber(s.y[i] ?? Number.NaN)}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </details>
      )}
      {caption !== undefined && <figcaption>{caption}</figcaption>}
    </figure>
  );
}
