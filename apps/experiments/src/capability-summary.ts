import type { CapabilityReport } from '@efficient-attention/backends';
import type { BackendChoice } from './cli-options.js';

/**
 * The capability report as the lines the CLI prints at start: the backend and how it was chosen, the
 * WebAssembly facts (SIMD, kernel build, threads) or the GPU's, which kernel contracts run a fast kernel and
 * which their tfjs-ops reference, and which forward contracts train through kernels.
 *
 * @example
 * ```ts
 * describeCapabilities('auto', report);
 * // ['backend wasm (--backend auto; tried wasm)', 'wasm: SIMD yes, relaxed SIMD no, kernel build simd128, …', …]
 * ```
 */
export function describeCapabilities(requested: BackendChoice, report: CapabilityReport): string[] {
  const tried = report.tried
    .map((t) => (t.ok ? t.backend : `${t.backend} skipped: ${t.reason ?? 'failed'}`))
    .join('; ');
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const lines = [`backend ${report.backend} (--backend ${requested}; tried ${tried})`];
  const w = report.wasm;
  lines.push(
    `wasm: SIMD ${yes(w.simd)}, relaxed SIMD ${yes(w.relaxedSimd)}, ` +
      (w.kernelVariant === undefined
        ? 'kernel module not loaded'
        : `kernel build ${w.kernelVariant}, ${w.kernelThreads} kernel thread${w.kernelThreads === 1 ? '' : 's'}`) +
      (w.tfjsThreads === undefined
        ? ''
        : `, tfjs-wasm ${w.tfjsThreads} thread${w.tfjsThreads === 1 ? '' : 's'}`),
  );
  if (report.webgpu !== undefined) {
    lines.push(
      `webgpu: adapter ${report.webgpu.adapter ?? 'unnamed'}, shader-f16 ${yes(report.webgpu.shaderF16)}, subgroups ${yes(report.webgpu.subgroups)}`,
    );
  }
  const names = Object.keys(report.kernels).sort();
  const fast = names.filter((n) => report.kernels[n] === 'kernel');
  const reference = names.filter((n) => report.kernels[n] === 'reference');
  lines.push(`kernels: ${fast.length > 0 ? fast.join(', ') : 'none'}`);
  lines.push(`tfjs-ops reference: ${reference.length > 0 ? reference.join(', ') : 'none'}`);
  // How training differentiates each forward contract here: through kernels, or tfjs ops.
  const trained = Object.keys(report.gradients).sort();
  const byKernel = trained.filter((n) => report.gradients[n] === 'kernel');
  const byReference = trained.filter((n) => report.gradients[n] === 'reference');
  lines.push(
    `gradients: through kernels ${byKernel.length > 0 ? byKernel.join(', ') : 'none'}; ` +
      `through tfjs ops ${byReference.length > 0 ? byReference.join(', ') : 'none'}`,
  );
  return lines;
}

/**
 * One phrase for results' provenance: the backend and which kernel contracts ran a fast kernel on it (with
 * the WebAssembly kernels' threads when they are loaded).
 *
 * @example
 * ```ts
 * backendPhrase({ backend: 'wasm', kernels: report.kernels, kernelThreads: 2 });
 * // 'wasm with kernels EABlockSparseAttention, EAFusedAttention, … (wasm kernels on 2 threads)'
 * ```
 */
export function backendPhrase(setup: {
  backend: string;
  kernels: Record<string, 'kernel' | 'reference'>;
  kernelThreads: number;
}): string {
  const fast = Object.keys(setup.kernels)
    .filter((n) => setup.kernels[n] === 'kernel')
    .sort();
  if (fast.length === 0) return `${setup.backend} (tfjs-ops references only)`;
  const threads =
    setup.kernelThreads === 0
      ? ''
      : ` (wasm kernels on ${setup.kernelThreads} thread${setup.kernelThreads === 1 ? '' : 's'})`;
  return `${setup.backend} with kernels ${fast.join(', ')}${threads}`;
}
