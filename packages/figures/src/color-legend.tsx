import { useId } from 'react';
import { formatNumber } from './format-number.js';

/** Props of {@link ColorLegend}. */
export interface ColorLegendProps {
  /** The colour scale the legend explains. */
  color: (value: number) => string;
  domain: readonly [number, number];
  /** What the colours encode, e.g. "attention weight". */
  label: string;
  /** Width in px. Default 160. */
  width?: number;
}

const STOPS = 16;

/**
 * A horizontal colour bar with its end values, sampled from the figure's own d3 scale.
 *
 * @example
 * ```tsx
 * <ColorLegend color={sequentialColor([0, 1])} domain={[0, 1]} label="weight" />
 * ```
 */
export function ColorLegend({ color, domain, label, width = 160 }: ColorLegendProps) {
  const id = useId().replace(/:/g, '');
  const [lo, hi] = domain;
  return (
    <div className="ea-legend">
      <svg
        width={width}
        height={12}
        role="img"
        aria-label={`${label}: colour from ${formatNumber(lo)} to ${formatNumber(hi)}`}
      >
        <defs>
          <linearGradient id={`g${id}`}>
            {Array.from({ length: STOPS }, (_, i) => {
              const t = i / (STOPS - 1);
              return <stop key={t} offset={`${100 * t}%`} stopColor={color(lo + t * (hi - lo))} />;
            })}
          </linearGradient>
        </defs>
        <rect width={width} height={12} fill={`url(#g${id})`} />
      </svg>
      <div
        className="ea-legend-labels"
        style={{ display: 'flex', justifyContent: 'space-between', gap: 6, width, fontSize: '0.8em' }}
      >
        <span>{formatNumber(lo, 3)}</span>
        <span className="ea-legend-title">{label}</span>
        <span>{formatNumber(hi, 3)}</span>
      </div>
    </div>
  );
}
