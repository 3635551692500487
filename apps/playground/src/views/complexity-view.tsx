import {
  attentionCost,
  COST_MECHANISMS,
  type CostMechanism,
  type CostParams,
  costModel,
  formatBytes,
  formatNumber,
  LineChart,
  type LineSeries,
  QUADRATIC_REFERENCE,
  RangeControl,
} from '@efficient-attention/figures';
import type { AttentionMeasurement } from '@efficient-attention/figures/compute';
import { useMemo } from 'react';
import { useBackendState } from '../backend-store.js';
import { capacityProblem } from '../capacity.js';
import { setParam, useNumberParam, useRoute } from '../url-state.js';
import { TaskStatus } from './task-status.js';
import { useTask } from './use-task.js';

const titleOf = (m: CostMechanism) => costModel(m).title;

function guide(name: string, xs: readonly number[], power: number, anchor: number): LineSeries {
  return { name, x: xs, y: xs.map((n) => anchor * (n / xs[0]!) ** power) };
}

/** Complexity: time and memory vs N measured live in the worker on the active backend, with O(N²)/O(N) guides. */
export function ComplexityView() {
  const { params } = useRoute();
  const [minExp, setMinExp] = useNumberParam('min', 6, 4, 14);
  const [maxExp, setMaxExp] = useNumberParam('max', 9, 4, 16);
  const [repeats, setRepeats] = useNumberParam('repeats', 3, 1, 20);
  const [headDim, setHeadDim] = useNumberParam('d', 32, 8, 256);
  const [radius, setRadius] = useNumberParam('radius', 16, 1, 1024);
  const [k, setK] = useNumberParam('k', 64, 8, 1024);
  const [m, setM] = useNumberParam('m', 64, 8, 1024);
  const selected = (params.get('mech') ?? COST_MECHANISMS.join(','))
    .split(',')
    .filter((x): x is CostMechanism => (COST_MECHANISMS as readonly string[]).includes(x));
  const toggle = (mech: CostMechanism) =>
    setParam(
      'mech',
      COST_MECHANISMS.filter((x) => (x === mech ? !selected.includes(x) : selected.includes(x))).join(','),
    );
  const backend = useBackendState();
  const report = backend?.status === 'ready' ? backend.report : undefined;
  const costParams: CostParams = { headDim, radius, projectedLength: k, features: m };
  const lengths = Array.from({ length: Math.max(0, maxExp - minExp + 1) }, (_, i) => 2 ** (minExp + i));
  const skipped = lengths.flatMap((n) =>
    selected
      .map((mech) => ({ n, mech, problem: capacityProblem(mech, n, radius, report) }))
      .filter((s) => s.problem !== undefined),
  );
  const runnable = lengths.filter((n) =>
    selected.every((mech) => capacityProblem(mech, n, radius, report) === undefined),
  );
  const { state, start, cancel } = useTask('complexity');
  const rows: AttentionMeasurement[] =
    state.status === 'done'
      ? state.value
      : state.status === 'running'
        ? ((state.progress.partial as AttentionMeasurement[] | undefined) ?? [])
        : [];

  const selectedKey = selected.join(',');
  const charts = useMemo(() => {
    const seriesOf = (pick: (r: AttentionMeasurement) => number) =>
      (selectedKey.split(',') as CostMechanism[])
        .map((mech) => {
          const own = rows.filter((r) => r.mechanism === mech);
          return { name: titleOf(mech), x: own.map((r) => r.n), y: own.map(pick) };
        })
        .filter((s) => s.x.length > 0);
    const xs = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
    const guidesOf = (pick: (r: AttentionMeasurement) => number) => {
      const dense = rows.find((r) => r.mechanism === QUADRATIC_REFERENCE && r.n === xs[0]);
      const linear = rows.find((r) => r.mechanism !== QUADRATIC_REFERENCE && r.n === xs[0]);
      return xs.length < 2
        ? []
        : [
            ...(dense ? [guide('O(N²)', xs, 2, pick(dense))] : []),
            ...(linear ? [guide('O(N)', xs, 1, pick(linear))] : []),
          ];
    };
    return {
      time: seriesOf((r) => r.medianMs),
      timeGuides: guidesOf((r) => r.medianMs),
      memory: seriesOf((r) => r.peakBytes),
      memoryGuides: guidesOf((r) => r.peakBytes),
    };
  }, [rows, selectedKey]);

  return (
    <section aria-labelledby="complexity-title">
      <h2 id="complexity-title">Complexity</h2>
      <div className="controls">
        <RangeControl
          label="Smallest N"
          value={minExp}
          min={4}
          max={14}
          onChange={setMinExp}
          format={(e) => String(2 ** e)}
        />
        <RangeControl
          label="Largest N"
          value={maxExp}
          min={4}
          max={16}
          onChange={setMaxExp}
          format={(e) => String(2 ** e)}
        />
        <RangeControl label="Timed runs" value={repeats} min={1} max={20} onChange={setRepeats} />
        <RangeControl label="Head width d" value={headDim} min={8} max={256} step={8} onChange={setHeadDim} />
        <RangeControl label="Window radius" value={radius} min={1} max={1024} onChange={setRadius} />
        <RangeControl label="Linformer k" value={k} min={8} max={1024} step={8} onChange={setK} />
        <RangeControl label="Performer features m" value={m} min={8} max={1024} step={8} onChange={setM} />
        <fieldset>
          <legend>Mechanisms</legend>
          {COST_MECHANISMS.map((mech) => (
            <label key={mech} style={{ marginRight: 12 }}>
              <input type="checkbox" checked={selected.includes(mech)} onChange={() => toggle(mech)} />{' '}
              {titleOf(mech)}
            </label>
          ))}
        </fieldset>
      </div>
      {minExp > maxExp && (
        <p role="alert">The smallest N is larger than the largest N: nothing to measure.</p>
      )}
      {skipped.length > 0 && (
        <div role="alert" data-testid="capacity-problems">
          <p>Lengths the {report?.backend ?? 'active'} backend cannot hold are left out:</p>
          <ul>
            {skipped.map((s) => (
              <li key={`${s.mech}-${s.n}`}>{s.problem}</li>
            ))}
          </ul>
        </div>
      )}
      <button
        type="button"
        disabled={state.status === 'running' || runnable.length === 0 || selected.length === 0}
        onClick={() => start({ lengths: runnable, mechanisms: selected, params: costParams, repeats })}
      >
        Measure on {report?.backend ?? 'the selected backend'}
      </button>
      <TaskStatus state={state} onCancel={cancel} label="Measuring" />
      {rows.length > 0 && (
        <>
          <div className="row">
            <LineChart
              series={charts.time}
              guides={charts.timeGuides}
              logX
              logY
              label="Measured time vs N"
              xLabel="sequence length N"
              yLabel="median ms"
              dataTable={false}
            />
            <LineChart
              series={charts.memory}
              guides={charts.memoryGuides}
              logX
              logY
              label="Measured peak memory vs N"
              xLabel="sequence length N"
              yLabel="peak bytes"
              dataTable={false}
            />
          </div>
          <table data-testid="complexity-table">
            <caption>
              Measured on {rows[0]?.backend} (median of {repeats} runs after a warm-up), next to each cost
              model
            </caption>
            <thead>
              <tr>
                <th scope="col">mechanism</th>
                <th scope="col">N</th>
                <th scope="col">median ms</th>
                <th scope="col">peak memory</th>
                <th scope="col">model FLOPs</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.mechanism}-${r.n}`}>
                  <th scope="row">{titleOf(r.mechanism)}</th>
                  <td>{r.n}</td>
                  <td>{formatNumber(r.medianMs, 3)}</td>
                  <td>{formatBytes(r.peakBytes)}</td>
                  <td>{formatNumber(attentionCost(r.mechanism, r.n, costParams).flops)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p className="note">
        Small N are dominated by per-call overhead; the O(N²) and O(N) guides start at the first measured
        point. Timings on a software GPU say nothing about real GPUs: compare mechanisms within one run.
      </p>
    </section>
  );
}
