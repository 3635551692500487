import type { CapabilityReport } from '@efficient-attention/backends';
import {
  attentionCost,
  type CostMechanism,
  DEFAULT_COST_PARAMS,
  QUADRATIC_REFERENCE,
} from '@efficient-attention/figures';

/**
 * Bytes of the largest single tensor a mechanism makes for one head of N tokens: its cost model's largest
 * intermediate (the N × N scores of dense, N·(2w + 1) of a window), at least N·512 floats for the others.
 */
export function largestTensorBytes(mechanism: CostMechanism, n: number, radius: number): number {
  const floats = attentionCost(mechanism, n, { ...DEFAULT_COST_PARAMS, radius }).memory;
  return 4 * Math.max(floats, mechanism === QUADRATIC_REFERENCE ? 0 : n * 512);
}

/** Memory a page may reasonably spend on one tensor on CPU-side backends (the wasm heap is capped at 2–4 GiB). */
export const CPU_TENSOR_LIMIT = 512 * 1024 * 1024;

/**
 * Why the active backend cannot hold a mechanism's tensors at length N, or `undefined` when it can: WebGL's
 * textures are at most `maxTextureSize` texels a side, WebGPU's buffers at most `maxStorageBufferBindingSize`
 * bytes, and the CPU backends get {@link CPU_TENSOR_LIMIT}.
 */
export function capacityProblem(
  mechanism: CostMechanism,
  n: number,
  radius: number,
  report: CapabilityReport | undefined,
): string | undefined {
  const bytes = largestTensorBytes(mechanism, n, radius);
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  if (
    report?.backend === 'webgl' &&
    report.maxTextureSize !== undefined &&
    mechanism === QUADRATIC_REFERENCE &&
    n > report.maxTextureSize
  ) {
    return `${mechanism} at N = ${n} needs an ${n} × ${n} score texture; this WebGL allows ${report.maxTextureSize} texels a side.`;
  }
  if (
    report?.backend === 'webgpu' &&
    report.maxStorageBufferBindingSize !== undefined &&
    bytes > report.maxStorageBufferBindingSize
  ) {
    return `${mechanism} at N = ${n} needs a ${mib(bytes)} buffer; this WebGPU adapter binds at most ${mib(report.maxStorageBufferBindingSize)}.`;
  }
  if (bytes > CPU_TENSOR_LIMIT) {
    return `${mechanism} at N = ${n} needs a ${mib(bytes)} tensor, more than the ${mib(CPU_TENSOR_LIMIT)} this page allows itself.`;
  }
  return undefined;
}
