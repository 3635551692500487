import { useBackendState } from '../backend-store.js';

/** The capability report of the worker's backend. */
export function BackendView() {
  const state = useBackendState();
  return (
    <section aria-labelledby="backend-title">
      <h2 id="backend-title">Backend</h2>
      <p>
        Heavy work runs in a Web Worker on the backend picked above, set up by <code>initBackend</code> from{' '}
        <code>@efficient-attention/backends</code>. Its capability report:
      </p>
      {state === undefined || state.status === 'initialising' ? (
        <p aria-live="polite">Setting up {state?.backend ?? 'the backend'}…</p>
      ) : state.status === 'failed' ? (
        <p role="alert" data-testid="backend-error">
          The {state.backend} backend could not start here: {state.message}. Pick another one.
        </p>
      ) : (
        <table data-testid="capability-report">
          <tbody>
            <tr>
              <th scope="row">backend</th>
              <td data-testid="report-backend">{state.report.backend}</td>
            </tr>
            <tr>
              <th scope="row">environment</th>
              <td>{state.report.environment}</td>
            </tr>
            <tr>
              <th scope="row">float precision</th>
              <td>{state.report.floatPrecision} bits</td>
            </tr>
            {state.report.maxTextureSize !== undefined && (
              <tr>
                <th scope="row">max texture size</th>
                <td>{state.report.maxTextureSize}</td>
              </tr>
            )}
            {state.report.maxStorageBufferBindingSize !== undefined && (
              <tr>
                <th scope="row">max storage binding</th>
                <td>{state.report.maxStorageBufferBindingSize} bytes</td>
              </tr>
            )}
            {state.report.webgpu !== undefined && (
              <tr>
                <th scope="row">WebGPU</th>
                <td>
                  {state.report.webgpu.adapter ?? 'adapter'}; shader-f16{' '}
                  {String(state.report.webgpu.shaderF16)}; subgroups {String(state.report.webgpu.subgroups)}
                </td>
              </tr>
            )}
            <tr>
              <th scope="row">wasm</th>
              <td>
                {`SIMD ${state.report.wasm.simd}; shared memory ${state.report.wasm.sharedMemory}; kernel threads ${state.report.wasm.kernelThreads}`}
              </td>
            </tr>
            <tr>
              <th scope="row">tried</th>
              <td>
                {state.report.tried
                  .map((t) => `${t.backend}: ${t.ok ? 'ok' : 'no'}${t.reason ? ` (${t.reason})` : ''}`)
                  .join('; ')}
              </td>
            </tr>
            {Object.entries(state.report.kernels).map(([name, how]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{how === 'kernel' ? 'fused kernel' : 'tfjs-ops reference'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
