import { BitNetFigure, formatBytes, formatNumber, RangeControl } from '@efficient-attention/figures';
import { useBackendState } from '../backend-store.js';
import { useNumberParam } from '../url-state.js';
import type { MatmulTiming } from '../worker/protocol.js';
import { TaskStatus } from './task-status.js';
import { useTask } from './use-task.js';

/** BitNet: weights before/after quantization, histograms, bytes per weight, and live ternary vs float matmul timing. */
export function BitNetView() {
  const [size, setSize] = useNumberParam('size', 64, 16, 256);
  const [seed, setSeed] = useNumberParam('seed', 0, 0, 1000);
  const [maxExp, setMaxExp] = useNumberParam('timeMax', 10, 7, 12);
  const [repeats, setRepeats] = useNumberParam('repeats', 5, 1, 30);
  const backend = useBackendState();
  const { state, start, cancel } = useTask('bitnet-timing');
  const sizes = Array.from({ length: maxExp - 6 }, (_, i) => 2 ** (7 + i));
  const rows: MatmulTiming[] =
    state.status === 'done'
      ? state.value
      : state.status === 'running'
        ? ((state.progress.partial as MatmulTiming[] | undefined) ?? [])
        : [];

  return (
    <section aria-labelledby="bitnet-title">
      <h2 id="bitnet-title">BitNet</h2>
      <BitNetFigure size={size} onSizeChange={setSize} seed={seed} onSeedChange={setSeed} />
      <h3>Ternary vs float matrix–vector product</h3>
      <div className="controls">
        <RangeControl
          label="Largest K = N"
          value={maxExp}
          min={7}
          max={12}
          onChange={setMaxExp}
          format={(e) => String(2 ** e)}
        />
        <RangeControl label="Timed runs" value={repeats} min={1} max={30} onChange={setRepeats} />
      </div>
      <button type="button" disabled={state.status === 'running'} onClick={() => start({ sizes, repeats })}>
        Time [1, K] × [K, N] on{' '}
        {backend?.status === 'ready' ? backend.report.backend : 'the selected backend'}
      </button>
      <TaskStatus state={state} onCancel={cancel} label="Timing" />
      {rows.length > 0 && (
        <table data-testid="matmul-table">
          <caption>
            float32 tfjs matMul on {rows[0]?.backend} vs bitnet&apos;s multiplication-free ternaryGemm (plain
            JS, 2-bit packed), median of {repeats}
          </caption>
          <thead>
            <tr>
              <th scope="col">K = N</th>
              <th scope="col">float ms</th>
              <th scope="col">ternary ms</th>
              <th scope="col">float / ternary</th>
              <th scope="col">float bytes</th>
              <th scope="col">ternary bytes</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.size}>
                <th scope="row">{r.size}</th>
                <td>{formatNumber(r.floatMs, 3)}</td>
                <td>{formatNumber(r.ternaryMs, 3)}</td>
                <td>{formatNumber(r.floatMs / r.ternaryMs, 3)}</td>
                <td>{formatBytes(r.floatBytes)}</td>
                <td>{formatBytes(r.ternaryBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
