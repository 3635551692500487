import { useEffect, useState } from 'react';
import { RangeControl } from './controls.js';
import { FigureFrame, Pending } from './figure-frame.js';
import { formatNumber, formatPercent } from './format-number.js';
import { Heatmap } from './heatmap.js';
import { useAsyncValue } from './use-async-value.js';
import { useControllable } from './use-controllable.js';

/** Props of {@link GlobalLocalFigure}. */
export interface GlobalLocalFigureProps {
  /** Initial sequence length. Default 16. */
  initialLength?: number;
  /** Initial window radius w (keys q − w … q + w). Default 2. */
  initialRadius?: number;
  /** Milliseconds per step of the moving window when playing. Default 600. */
  stepMs?: number;
  /** Controlled sequence length (with `onLengthChange`), e.g. kept in a page URL. */
  length?: number;
  onLengthChange?: (length: number) => void;
  /** Controlled window radius (with `onRadiusChange`). */
  radius?: number;
  onRadiusChange?: (radius: number) => void;
}

function windowCoversSequence(n: number, radius: number): string | undefined {
  return radius >= n
    ? `A window of radius ${radius} covers the whole ${n}-token sequence: local attention would equal global attention. Pick a radius below ${n}.`
    : undefined;
}

/**
 * Section 2 of the blog: global attention (every query sees every key, N² pairs) next to local attention
 * (a sliding window of radius w, `slidingWindow({ radius })` from `@efficient-attention/sparse-masks`),
 * with the current query's window highlighted and moved by a slider or a play button.
 *
 * @example
 * ```tsx
 * <GlobalLocalFigure initialLength={16} initialRadius={2} />
 * ```
 */
export function GlobalLocalFigure({
  initialLength = 16,
  initialRadius = 2,
  stepMs = 600,
  length,
  onLengthChange,
  radius: radiusProp,
  onRadiusChange,
}: GlobalLocalFigureProps) {
  const [n, setN] = useControllable(length, initialLength, onLengthChange);
  const [radius, setRadius] = useControllable(radiusProp, initialRadius, onRadiusChange);
  const [query, setQuery] = useState(0);
  const [playing, setPlaying] = useState(false);
  const q = Math.min(query, n - 1);

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => setQuery((old) => (old + 1) % n), stepMs);
    return () => clearInterval(timer);
  }, [playing, n, stepMs]);

  // A figure check, not an option check: such a window is valid, it just draws global attention twice.
  const problem = windowCoversSequence(n, radius);
  const state = useAsyncValue(async () => {
    if (problem !== undefined) return undefined;
    const { createMaskArray, slidingWindow } = await import('@efficient-attention/sparse-masks');
    const local = createMaskArray(slidingWindow({ radius }), n, n)[0]![0]!.map((row) =>
      row.map((v): number => (v ? 1 : 0)),
    );
    const allowed = local.reduce((sum, row) => sum + row.reduce((s, v) => s + v, 0), 0);
    return { local, allowed };
  }, [n, radius, problem]);
  const global = Array.from({ length: n }, () => new Array<number>(n).fill(1));
  const first = Math.max(0, q - radius);
  const last = Math.min(n - 1, q + radius);

  return (
    <FigureFrame
      className="ea-global-local-figure"
      caption={
        <>
          Global attention computes all {n}² = {n * n} query–key pairs; local attention keeps a window of{' '}
          {radius} keys on each side of the query (dashed row), so its cost grows as N·(2w + 1) instead of N².
        </>
      }
      controls={
        <>
          <RangeControl label="Sequence length N" value={n} min={4} max={48} onChange={setN} />
          <RangeControl label="Window radius w" value={radius} min={0} max={24} onChange={setRadius} />
          <RangeControl label="Query position" value={q} min={0} max={n - 1} onChange={setQuery} />
          <button type="button" onClick={() => setPlaying((p) => !p)} aria-pressed={playing}>
            {playing ? 'Pause moving window' : 'Play moving window'}
          </button>
        </>
      }
    >
      {problem !== undefined ? (
        <p role="alert">{problem}</p>
      ) : (
        <>
          <Pending state={state} />
          {state.status === 'ready' && state.value !== undefined && (
            <div style={{ display: 'flex', flexWrap: 'wrap', gap: 24 }}>
              <section data-testid="global-panel" aria-label="Global attention">
                <h4>Global: {n * n} pairs (100%)</h4>
                <Heatmap
                  matrix={global}
                  label="Global attention mask"
                  rowLabel="query"
                  columnLabel="key"
                  valueLabel="attended"
                  domain={[0, 1]}
                  scheme="cividis"
                  highlightRow={q}
                />
              </section>
              <section data-testid="local-panel" aria-label="Local attention">
                <h4>
                  Local: <span data-testid="local-pairs">{state.value.allowed}</span> pairs (
                  <span data-testid="local-density">{formatPercent(state.value.allowed / (n * n))}</span>)
                </h4>
                <Heatmap
                  matrix={state.value.local}
                  label="Local attention mask"
                  rowLabel="query"
                  columnLabel="key"
                  valueLabel="attended"
                  domain={[0, 1]}
                  scheme="cividis"
                  highlightRow={q}
                />
              </section>
            </div>
          )}
          <p aria-live="polite" data-testid="window-readout">
            Query {q} attends keys {first}–{last} ({last - first + 1} keys) locally, all {n} globally;
            local/global cost ratio{' '}
            {state.status === 'ready' && state.value !== undefined
              ? formatNumber(state.value.allowed / (n * n))
              : '…'}
            .
          </p>
        </>
      )}
    </FigureFrame>
  );
}
