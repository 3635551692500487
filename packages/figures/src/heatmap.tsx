import { type ReactNode, useEffect, useMemo, useRef } from 'react';
import { ColorLegend } from './color-legend.js';
import { type ColorSchemeName, matrixExtent, sequentialColor } from './color-scale.js';

/** Props of {@link Heatmap}. */
export interface HeatmapProps {
  /** Rows of values, `matrix[row][column]`; all rows the same length. Non-finite values draw as the minimum. */
  matrix: readonly (readonly number[])[];
  /** Accessible name of the image, e.g. "Sliding-window mask, 16 × 16". */
  label: string;
  /** Caption under the heatmap. */
  caption?: ReactNode;
  /** Meaning of the rows, e.g. "query". Default "row". */
  rowLabel?: string;
  /** Meaning of the columns, e.g. "key". Default "column". */
  columnLabel?: string;
  /** What the colour encodes, for the legend. Default "value". */
  valueLabel?: string;
  /** Colour domain. Default: the matrix's extent. */
  domain?: readonly [number, number];
  /** Default 'viridis'. */
  scheme?: ColorSchemeName;
  /** Largest side of the drawing in px. Default 240. */
  size?: number;
  /** A row to outline (e.g. the current query of a moving window). */
  highlightRow?: number;
}

/**
 * A matrix drawn on a canvas with a sequential colour-blind-safe scale (d3-scale + viridis/cividis), a
 * colour legend, axis labels and an accessible `<figure>`. Draws only in an effect, so it renders on a
 * server (the canvas stays empty until hydration).
 *
 * @example
 * ```tsx
 * <Heatmap matrix={[[1, 0], [1, 1]]} label="Causal mask" rowLabel="query" columnLabel="key" />
 * ```
 */
export function Heatmap({
  matrix,
  label,
  caption,
  rowLabel = 'row',
  columnLabel = 'column',
  valueLabel = 'value',
  domain,
  scheme = 'viridis',
  size = 240,
  highlightRow,
}: HeatmapProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const rows = matrix.length;
  const columns = matrix[0]?.length ?? 0;
  const extent = useMemo(() => domain ?? matrixExtent(matrix), [domain, matrix]);
  const color = useMemo(() => sequentialColor(extent, scheme), [extent, scheme]);
  // Whole pixels per cell when the matrix is smaller than `size`; a fraction (averaged down) when larger.
  const fit = size / Math.max(rows, columns, 1);
  const cell = fit >= 1 ? Math.floor(fit) : fit;
  const width = Math.max(1, Math.round(cell * columns));
  const height = Math.max(1, Math.round(cell * rows));

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context || rows === 0 || columns === 0) return;
    // One pixel per cell in an ImageData, scaled up without smoothing: fast for N × N masks with N in the
    // thousands, where a fillRect per cell would stall the page.
    const image = context.createImageData(columns, rows);
    const rgb = new Map<string, [number, number, number]>();
    const toRgb = (css: string): [number, number, number] => {
      let hit = rgb.get(css);
      if (hit === undefined) {
        const m =
          /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css) ?? /rgb\((\d+), ?(\d+), ?(\d+)\)/.exec(css);
        const base = css.startsWith('#') ? 16 : 10;
        hit = m
          ? [Number.parseInt(m[1]!, base), Number.parseInt(m[2]!, base), Number.parseInt(m[3]!, base)]
          : [0, 0, 0];
        rgb.set(css, hit);
      }
      return hit;
    };
    for (let r = 0; r < rows; r++) {
      const row = matrix[r]!;
      for (let c = 0; c < columns; c++) {
        const v = row[c]!;
        const [red, green, blue] = toRgb(color(Number.isFinite(v) ? v : extent[0]));
        const at = 4 * (r * columns + c);
        image.data[at] = red;
        image.data[at + 1] = green;
        image.data[at + 2] = blue;
        image.data[at + 3] = 255;
      }
    }
    const source = document.createElement('canvas');
    source.width = columns;
    source.height = rows;
    source.getContext('2d')?.putImageData(image, 0, 0);
    context.imageSmoothingEnabled = cell < 1;
    context.clearRect(0, 0, width, height);
    context.drawImage(source, 0, 0, width, height);
    if (highlightRow !== undefined && highlightRow >= 0 && highlightRow < rows) {
      context.strokeStyle = '#d62728';
      context.lineWidth = Math.max(1, Math.min(3, cell / 3));
      context.setLineDash([4, 2]);
      context.strokeRect(0.5, highlightRow * cell + 0.5, width - 1, cell - 1);
    }
  }, [matrix, rows, columns, cell, width, height, color, extent, highlightRow]);

  return (
    <figure className="ea-heatmap" style={{ margin: 0 }}>
      <div style={{ display: 'grid', gridTemplateColumns: 'auto auto', alignItems: 'center', gap: 4 }}>
        <span className="ea-axis-label" style={{ writingMode: 'vertical-rl', transform: 'rotate(180deg)' }}>
          {rowLabel} (0 … {Math.max(0, rows - 1)})
        </span>
        <canvas
          ref={canvas}
          width={width}
          height={height}
          role="img"
          aria-label={`${label}: ${rows} × ${columns} (${rowLabel} by ${columnLabel})`}
          style={{ imageRendering: 'pixelated', border: '1px solid #8884' }}
        />
        <span />
        <span className="ea-axis-label">
          {columnLabel} (0 … {Math.max(0, columns - 1)})
        </span>
      </div>
      <ColorLegend
        color={color}
        domain={extent}
        label={valueLabel}
        width={Math.max(120, Math.min(width, 240))}
      />
      {caption !== undefined && <figcaption>{caption}</figcaption>}
    </figure>
  );
}
