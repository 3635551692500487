import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { registerWebGLKernels, registerWebGPUKernels } from '../../src/kernels/register-kernels.js';
import { runKernelChecks } from './kernel-checks.js';

declare global {
  interface Window {
    /** Set when the checks finish: the runner (browser/run.mjs) polls it. */
    eaKernelChecks?: Awaited<ReturnType<typeof runKernelChecks>> & { fatal?: string };
  }
}

registerWebGLKernels();
registerWebGPUKernels();

const table = document.querySelector('#results') as HTMLElement;
const backends = new URLSearchParams(location.search).get('backends')?.split(',') ?? ['webgl', 'webgpu'];

runKernelChecks(backends)
  .then((report) => {
    const rows = report.results.map(
      (r) =>
        `<tr class="${r.pass ? 'pass' : 'fail'}"><td>${r.backend}</td><td>${r.kernel}</td><td>${r.case}</td>` +
        `<td>${r.path}</td><td>${r.maxAbsError.toExponential(2)}</td><td>${r.worstToleranceRatio.toFixed(3)}</td>` +
        `<td>${r.ms.toFixed(0)}</td><td>${r.pass ? 'pass' : `FAIL ${r.error ?? ''}`}</td></tr>`,
    );
    const skips = report.skipped.map((s) => `<tr class="skip"><td colspan="8">SKIPPED ${s}</td></tr>`);
    table.innerHTML += [...rows, ...skips].join('');
    window.eaKernelChecks = report;
  })
  .catch((error: unknown) => {
    table.innerHTML += `<tr class="fail"><td colspan="8">FATAL ${String(error)}</td></tr>`;
    window.eaKernelChecks = { results: [], skipped: [], fatal: String(error) };
  });
