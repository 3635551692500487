import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import * as vl from 'vega-lite';

/** One point of a line chart: x, y and the series it belongs to. */
export interface SeriesPoint {
  series: string;
  x: number;
  y: number;
}

export interface LineChartOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  xLog?: boolean;
  yLog?: boolean;
  /** Log base of the log axes (default 10; 2 suits lengths that double). */
  logBase?: number;
  /** Draw points as well as lines (for sparse x values). */
  points?: boolean;
  width?: number;
  height?: number;
}

/** A vega-lite multi-series line chart (log axes optional). */
export function lineChartSpec(data: readonly SeriesPoint[], o: LineChartOptions): TopLevelSpec {
  const scale = (log: boolean | undefined) =>
    log ? { type: 'log' as const, base: o.logBase ?? 10 } : { zero: false };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: o.width ?? 480,
    height: o.height ?? 300,
    data: { values: data.map((d) => ({ ...d })) },
    mark: { type: 'line', point: o.points ?? false },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: o.xTitle,
        scale: scale(o.xLog),
        // Log axes get ticks at the measured x values (e.g. N = 1024, 2048, 4096), not at 1,200 / 1,600….
        ...(o.xLog ? { axis: { values: [...new Set(data.map((d) => d.x))].sort((a, b) => a - b) } } : {}),
      },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: scale(o.yLog) },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
    },
  };
}

/** A vega-lite horizontal bar chart of one value per label (e.g. held-out accuracy per variant). */
export function barChartSpec(
  data: readonly { label: string; value: number; group?: string }[],
  o: { title: string; valueTitle: string; domain?: [number, number] },
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 420,
    data: { values: data.map((d) => ({ ...d, group: d.group ?? '' })) },
    mark: 'bar',
    encoding: {
      y: { field: 'label', type: 'nominal', title: null, sort: null },
      x: {
        field: 'value',
        type: 'quantitative',
        title: o.valueTitle,
        ...(o.domain ? { scale: { domain: o.domain } } : {}),
      },
      color: { field: 'group', type: 'nominal', title: null },
    },
  };
}

/** Renders a vega-lite spec to an SVG string in Node (vega's headless view, no canvas needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
