import { useMemo, useRef, useState } from 'react';
import { RangeControl, SelectControl } from './controls.js';
import {
  attentionCost,
  COST_MECHANISMS,
  type CostMechanism,
  type CostParams,
  costModel,
  DEFAULT_COST_PARAMS,
  LINEAR_REFERENCE,
  powersOfTwo,
  QUADRATIC_REFERENCE,
} from './cost-models.js';
import { FigureFrame } from './figure-frame.js';
import { formatBytes, formatNumber } from './format-number.js';
import { LineChart, type LineSeries } from './line-chart.js';
import type { AttentionMeasurement } from './measure-attention.js';

/** Props of {@link ComplexityFigure}. */
export interface ComplexityFigureProps {
  /** Initial cost-model parameters (head width, window radius, Linformer k, Performer m). */
  initial?: Partial<CostParams>;
  /** Sequence lengths of the "measure in this browser" run. Default [128, 256, 512, 1024]. */
  measureLengths?: readonly number[];
  /** Timed runs per point (after a warm-up). Default 3. */
  repeats?: number;
}

type Quantity = 'flops' | 'memory';

const titleOf = (m: CostMechanism) => costModel(m).title;

/** c·N^power through the first point of `anchor`: the O(N²) / O(N) guides of a log-log chart. */
function guide(name: string, lengths: readonly number[], power: number, anchor: number): LineSeries {
  const n0 = lengths[0]!;
  return { name, x: lengths, y: lengths.map((n) => anchor * (n / n0) ** power) };
}

/** Progress of a measuring run. */
type Run =
  | { status: 'idle' }
  | { status: 'running'; done: number; total: number }
  | { status: 'done' | 'cancelled'; done: number; total: number }
  | { status: 'error'; message: string };

/**
 * Section 5 of the blog: operations and memory of dense, sparse (sliding window), linear, Linformer and
 * Performer attention against N on log-log axes, from each mechanism's analytic cost model
 * ({@link attentionCost}), next to O(N²) and O(N) guides — and a button that measures the real mechanisms
 * of this repository in the reader's browser, with progress and cancel.
 *
 * @example
 * ```tsx
 * <ComplexityFigure initial={{ headDim: 64 }} />
 * ```
 */
export function ComplexityFigure({
  initial,
  measureLengths = [128, 256, 512, 1024],
  repeats = 3,
}: ComplexityFigureProps) {
  const [p, setP] = useState<CostParams>({ ...DEFAULT_COST_PARAMS, ...initial });
  const [quantity, setQuantity] = useState<Quantity>('flops');
  const [readoutExp, setReadoutExp] = useState(12);
  const [run, setRun] = useState<Run>({ status: 'idle' });
  const [measured, setMeasured] = useState<AttentionMeasurement[]>([]);
  const cancelled = useRef(false);
  const set = (key: keyof CostParams) => (value: number) => setP((old) => ({ ...old, [key]: value }));

  const lengths = useMemo(() => powersOfTwo(6, 16), []);
  const series = useMemo(
    () =>
      COST_MECHANISMS.map((m) => ({
        name: titleOf(m),
        x: lengths,
        y: lengths.map((n) => attentionCost(m, n, p)[quantity]),
      })),
    [lengths, p, quantity],
  );
  const guides = useMemo(
    () => [
      guide('O(N²)', lengths, 2, attentionCost(QUADRATIC_REFERENCE, lengths[0]!, p)[quantity]),
      guide('O(N)', lengths, 1, attentionCost(LINEAR_REFERENCE, lengths[0]!, p)[quantity]),
    ],
    [lengths, p, quantity],
  );
  const readoutN = 2 ** readoutExp;

  const measure = async () => {
    cancelled.current = false;
    setMeasured([]);
    const total = COST_MECHANISMS.length * measureLengths.length;
    setRun({ status: 'running', done: 0, total });
    try {
      const { measureAttention } = await import('./measure-attention.js');
      let done = 0;
      for (const n of measureLengths) {
        for (const m of COST_MECHANISMS) {
          if (cancelled.current) {
            setRun({ status: 'cancelled', done, total });
            return;
          }
          const result = await measureAttention(m, n, p, repeats);
          done++;
          setMeasured((old) => [...old, result]);
          setRun({ status: 'running', done, total });
          // Yield so the page repaints and the cancel button stays responsive.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
      setRun({ status: 'done', done, total });
    } catch (error) {
      setRun({ status: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  };

  const measuredSeries = useMemo(
    () =>
      COST_MECHANISMS.map((m) => {
        const rows = measured.filter((r) => r.mechanism === m);
        return { name: titleOf(m), x: rows.map((r) => r.n), y: rows.map((r) => r.medianMs) };
      }).filter((s) => s.x.length > 0),
    [measured],
  );
  const measuredGuides = useMemo(() => {
    const dense = measured.find((r) => r.mechanism === QUADRATIC_REFERENCE);
    const lin = measured.find((r) => r.mechanism === LINEAR_REFERENCE);
    const xs = [...measureLengths];
    return [
      ...(dense ? [guide('O(N²)', xs, 2, dense.medianMs)] : []),
      ...(lin ? [guide('O(N)', xs, 1, lin.medianMs)] : []),
    ];
  }, [measured, measureLengths]);

  return (
    <FigureFrame
      className="ea-complexity-figure"
      caption={
        <>
          Forward cost of one attention head from each mechanism's cost model (d = {p.headDim}, window radius{' '}
          {p.radius}, Linformer k = {p.projectedLength}, Performer m = {p.features}); dashed lines are O(N²)
          and O(N). Sparse, Linformer and Performer are linear in N once N exceeds their window, k or m.
        </>
      }
      controls={
        <>
          <SelectControl<Quantity>
            label="Quantity"
            value={quantity}
            options={[
              { value: 'flops', label: 'operations (FLOPs)' },
              { value: 'memory', label: 'memory (floats of intermediates)' },
            ]}
            onChange={setQuantity}
          />
          <RangeControl
            label="Head width d"
            value={p.headDim}
            min={16}
            max={256}
            step={16}
            onChange={set('headDim')}
          />
          <RangeControl label="Window radius w" value={p.radius} min={1} max={512} onChange={set('radius')} />
          <RangeControl
            label="Linformer k"
            value={p.projectedLength}
            min={16}
            max={1024}
            step={16}
            onChange={set('projectedLength')}
          />
          <RangeControl
            label="Performer features m"
            value={p.features}
            min={16}
            max={1024}
            step={2}
            onChange={set('features')}
          />
          <RangeControl
            label="Readout at N"
            value={readoutExp}
            min={6}
            max={16}
            onChange={setReadoutExp}
            format={(e) => String(2 ** e)}
          />
        </>
      }
    >
      <LineChart
        series={series}
        guides={guides}
        logX
        logY
        label={quantity === 'flops' ? 'FLOPs vs sequence length' : 'Memory vs sequence length'}
        xLabel="sequence length N"
        yLabel={quantity === 'flops' ? 'FLOPs' : 'floats'}
        dataTable={false}
      />
      <table className="ea-readout" data-testid="cost-readout">
        <caption>At N = {readoutN}</caption>
        <thead>
          <tr>
            <th scope="col">mechanism</th>
            <th scope="col">{quantity === 'flops' ? 'FLOPs' : 'floats'}</th>
            <th scope="col">× fewer than dense</th>
          </tr>
        </thead>
        <tbody>
          {COST_MECHANISMS.map((m) => {
            const value = attentionCost(m, readoutN, p)[quantity];
            const dense = attentionCost(QUADRATIC_REFERENCE, readoutN, p)[quantity];
            return (
              <tr key={m} data-testid={`cost-${m}`}>
                <th scope="row">{titleOf(m)}</th>
                <td>{formatNumber(value)}</td>
                <td>{formatNumber(dense / value)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="ea-measure">
        <button type="button" onClick={measure} disabled={run.status === 'running'}>
          Measure in this browser
        </button>{' '}
        {run.status === 'running' && (
          <>
            <progress value={run.done} max={run.total} aria-label="Measuring" />{' '}
            <button type="button" onClick={() => (cancelled.current = true)}>
              Cancel
            </button>
          </>
        )}
        <span aria-live="polite" data-testid="measure-status">
          {run.status === 'running' && ` ${run.done} / ${run.total} measured`}
          {run.status === 'done' && ` ${run.done} measurements on the ${measured[0]?.backend ?? ''} backend.`}
          {run.status === 'cancelled' && ` Cancelled after ${run.done} of ${run.total}.`}
          {run.status === 'error' && ` Measuring failed: ${run.message}`}
        </span>
      </div>
      {measured.length > 0 && (
        <>
          <LineChart
            series={measuredSeries}
            guides={measuredGuides}
            logX
            logY
            label="Measured forward time vs sequence length"
            xLabel="sequence length N"
            yLabel="median ms"
            dataTable={false}
          />
          <table className="ea-readout" data-testid="measured-table">
            <caption>
              Measured on the {measured[0]?.backend} backend (median of {repeats} runs after a warm-up)
            </caption>
            <thead>
              <tr>
                <th scope="col">mechanism</th>
                <th scope="col">N</th>
                <th scope="col">median ms</th>
                <th scope="col">peak memory</th>
              </tr>
            </thead>
            <tbody>
              {measured.map((r) => (
                <tr key={`${r.mechanism}-${r.n}`}>
                  <th scope="row">{titleOf(r.mechanism)}</th>
                  <td>{r.n}</td>
                  <td>{formatNumber(r.medianMs, 3)}</td>
                  <td>{formatBytes(r.peakBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </FigureFrame>
  );
}
