import { useMemo, useState } from 'react';
import { RangeControl } from './controls.js';
import { FigureFrame, Pending } from './figure-frame.js';
import { formatNumber } from './format-number.js';
import { Heatmap } from './heatmap.js';
import { LineChart } from './line-chart.js';
import { useAsyncValue } from './use-async-value.js';

/** Props of {@link AdaptiveSpanFigure}. */
export interface AdaptiveSpanFigureProps {
  /** Sequence length. Default 32. */
  length?: number;
  /** Initial span z. Default 8. */
  initialSpan?: number;
  /** Initial ramp width R. Default 4. */
  initialRamp?: number;
  /** Seed of the random queries and keys. Default 0. */
  seed?: number;
}

/**
 * Section 4 of the blog: adaptive attention span. A span slider drives the soft ramp mask
 * m_z(x) = clamp((R + z − x) / R, 0, 1) and shows how it reshapes causal attention weights — tokens inside
 * the span keep their weight, tokens on the ramp are faded, tokens beyond get exactly zero. Sukhbaatar et
 * al. 2019, https://arxiv.org/abs/1905.07799.
 *
 * @example
 * ```tsx
 * <AdaptiveSpanFigure initialSpan={8} initialRamp={4} />
 * ```
 */
export function AdaptiveSpanFigure({
  length = 32,
  initialSpan = 8,
  initialRamp = 4,
  seed = 0,
}: AdaptiveSpanFigureProps) {
  const [span, setSpan] = useState(initialSpan);
  const [ramp, setRamp] = useState(initialRamp);
  const [query, setQuery] = useState(length - 1);
  const q = Math.min(query, length - 1);
  const state = useAsyncValue(async () => {
    const { spanFigureData } = await import('./span-figure-data.js');
    return spanFigureData({ n: length, span, rampSize: ramp, headDim: 16, seed });
  }, [length, span, ramp, seed]);

  const derived = useMemo(() => {
    if (state.status !== 'ready') return undefined;
    const dense = state.value.denseWeights[q]!;
    const adaptive = state.value.spanWeights[q]!;
    const keys = dense.map((_, k) => k);
    return {
      kept: adaptive.filter((w) => w > 0).length,
      series: [
        { name: 'dense softmax', x: keys, y: dense },
        { name: 'adaptive span', x: keys, y: adaptive },
      ],
      rampSeries: [{ name: 'm_z(x)', x: state.value.ramp.map((_, x) => x), y: state.value.ramp }],
    };
  }, [state, q]);

  return (
    <FigureFrame
      className="ea-adaptive-span-figure"
      caption={
        <>
          Adaptive span z = {span} with a ramp of R = {ramp} tokens: a key at distance x keeps weight factor
          m_z(x). Query {q} (causal, random seeded queries and keys of width 16) before and after the mask.
        </>
      }
      controls={
        <>
          <RangeControl label="Span z" value={span} min={0} max={length} onChange={setSpan} />
          <RangeControl label="Ramp width R" value={ramp} min={1} max={16} onChange={setRamp} />
          <RangeControl label="Query token" value={q} min={0} max={length - 1} onChange={setQuery} />
        </>
      }
    >
      <Pending state={state} />
      {state.status === 'ready' && derived !== undefined && (
        <>
          <p aria-live="polite" data-testid="span-readout">
            Keys with non-zero weight for query {q}: <strong data-testid="kept-keys">{derived.kept}</strong>{' '}
            of {q + 1}; trimmed span (keys per query a kernel must visit):{' '}
            <strong data-testid="trimmed-span">{state.value.trimmed}</strong>; m_z at distance{' '}
            {Math.min(length - 1, span)}:{' '}
            <strong data-testid="ramp-at-span">
              {formatNumber(state.value.ramp[Math.min(length - 1, span)]!)}
            </strong>
            .
          </p>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 16 }}>
            <Heatmap
              matrix={state.value.denseWeights}
              label="Dense causal attention weights"
              rowLabel="query"
              columnLabel="key"
              valueLabel="weight"
              domain={[0, 1]}
              highlightRow={q}
              size={200}
            />
            <Heatmap
              matrix={state.value.spanWeights}
              label="Adaptive-span attention weights"
              rowLabel="query"
              columnLabel="key"
              valueLabel="weight"
              domain={[0, 1]}
              highlightRow={q}
              size={200}
            />
          </div>
          <LineChart
            series={derived.rampSeries}
            label="Soft span mask"
            xLabel="distance x"
            yLabel="m_z(x)"
            height={180}
            dataTable={false}
          />
          <LineChart
            series={derived.series}
            label={`Weights of query ${q}`}
            xLabel="key"
            yLabel="weight"
            height={220}
          />
        </>
      )}
    </FigureFrame>
  );
}
