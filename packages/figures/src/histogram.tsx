import * as Plot from '@observablehq/plot';
import type { ReactNode } from 'react';
import { categoricalColors } from './color-scale.js';
import { usePlot } from './use-plot.js';

/** Props of {@link Histogram}. */
export interface HistogramProps {
  values: readonly number[];
  /** Accessible name. */
  label: string;
  caption?: ReactNode;
  /** What the values are, for the x axis. */
  xLabel: string;
  /** Number of bins (Plot's `thresholds`). Default 30. */
  bins?: number;
  /** Default 320. */
  width?: number;
  /** Default 180. */
  height?: number;
}

/**
 * A histogram of `values` (counts per bin), drawn by Observable Plot's `binX` in an effect.
 *
 * @example
 * ```tsx
 * <Histogram values={[0.1, -0.2, 0.05]} label="Weights" xLabel="weight" />
 * ```
 */
export function Histogram({
  values,
  label,
  caption,
  xLabel,
  bins = 30,
  width = 320,
  height = 180,
}: HistogramProps) {
  const ref = usePlot(
    () =>
      Plot.plot({
        width,
        height,
        ariaLabel: label,
        x: { label: xLabel },
        y: { label: 'count', grid: true },
        marks: [
          Plot.rectY(values as number[], {
            ...Plot.binX({ y: 'count' }, { x: (v: number) => v, thresholds: bins }),
            fill: categoricalColors(1)[0],
          }),
          Plot.ruleY([0]),
        ],
        document: globalThis.document,
      }),
    [values, bins, width, height, label, xLabel],
  );
  return (
    <figure className="ea-histogram" style={{ margin: 0 }}>
      <div ref={ref} role="img" aria-label={`${label}: histogram of ${values.length} values`} />
      {caption !== undefined && <figcaption>{caption}</figcaption>}
    </figure>
  );
}
