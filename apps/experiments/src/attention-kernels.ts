import { median } from '@efficient-attention/bench/median';
import {
  fusedAttentionKernel,
  memoryEfficientAttention,
  scaledDotProductAttention,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import { maxAbsDiff } from './statistics.js';

/** One measured row of the attention-kernels experiment. */
export interface KernelRow {
  implementation: 'dense' | 'memory-efficient' | 'plain tfjs ops';
  /** The tfjs backend the row ran on. */
  backend: string;
  /**
   * Whether the call ran the fused `EAFusedAttention` kernel (seen in the kernels `tf.profile` lists for
   * the warm-up call), rather than tfjs ops; null when the call failed before that was known.
   */
  fusedKernel: boolean | null;
  n: number;
  medianMs: number | null;
  gflops: number | null;
  /** Largest |output − dense output|. */
  maxAbsDiffVsDense: number | null;
  /** Set when the run failed (out of memory, NaN); the other rows still stand. */
  error?: string;
}

const IMPLEMENTATIONS = {
  dense: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => scaledDotProductAttention(q, k, v),
  'memory-efficient': (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => memoryEfficientAttention(q, k, v),
  // The pinned baseline of ARCHITECTURE.md: 4-D matMul with transposeB → softmax → matMul.
  'plain tfjs ops': (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
    tf.tidy(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(q.shape[3]!))), v)),
} as const;

/** Largest N at which the O(N²)-slow plain-ops baseline is still timed (it takes ~17 s at 4096 on wasm). */
const PLAIN_OPS_MAX_N = 2048;

/** Sizes of the attention-kernels experiment. */
export interface AttentionKernelSettings {
  lengths: number[];
  heads: number;
  headDim: number;
  repeats: number;
  seed: number;
}

/**
 * Inference time of core's dense and memory-efficient attention against plain tfjs ops, B=1, causal off,
 * on the active backend, and their agreement with dense; each row says whether the fused kernel ran.
 * `onProgress` is called after every measurement.
 */
export async function runAttentionKernels(
  preset: AttentionKernelSettings,
  onProgress: (label: string) => void,
): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  const { heads: h, headDim: d, seed } = preset;
  for (const n of preset.lengths) {
    const q = tf.randomNormal([1, h, n, d], 0, 1, 'float32', seed);
    const k = tf.randomNormal([1, h, n, d], 0, 1, 'float32', seed + 1);
    const v = tf.randomNormal([1, h, n, d], 0, 1, 'float32', seed + 2);
    let dense: Float32Array | undefined;
    for (const [name, impl] of Object.entries(IMPLEMENTATIONS) as [
      KernelRow['implementation'],
      (typeof IMPLEMENTATIONS)['dense'],
    ][]) {
      const label = `${name} N=${n}`;
      const backend = tf.getBackend();
      if (name === 'plain tfjs ops' && n > PLAIN_OPS_MAX_N) {
        rows.push({
          implementation: name,
          backend,
          fusedKernel: null,
          n,
          medianMs: null,
          gflops: null,
          maxAbsDiffVsDense: null,
          error: `not timed above N=${PLAIN_OPS_MAX_N} (minutes per run)`,
        });
        onProgress(label);
        continue;
      }
      let fusedKernel: boolean | null = null;
      try {
        // The warm-up call runs under tf.profile, whose kernel list says whether the fused kernel ran.
        let values: Float32Array = new Float32Array(0);
        const profile = await tf.profile(async () => {
          const warm = impl(q, k, v);
          values = (await warm.data()) as Float32Array;
          warm.dispose();
        });
        fusedKernel = profile.kernelNames.includes(fusedAttentionKernel.name);
        if (!values.every(Number.isFinite)) throw new Error('non-finite output');
        const times: number[] = [];
        for (let r = 0; r < preset.repeats; r++) {
          const t0 = performance.now();
          const out = impl(q, k, v);
          await out.data();
          times.push(performance.now() - t0);
          out.dispose();
        }
        if (name === 'dense') dense = values;
        const ms = median(times);
        rows.push({
          implementation: name,
          backend,
          fusedKernel,
          n,
          medianMs: ms,
          gflops: (4 * h * n * n * d) / (ms * 1e6),
          maxAbsDiffVsDense: dense ? maxAbsDiff(values, dense) : null,
        });
      } catch (error) {
        rows.push({
          implementation: name,
          backend,
          fusedKernel,
          n,
          medianMs: null,
          gflops: null,
          maxAbsDiffVsDense: null,
          error: (error as Error).message,
        });
      }
      onProgress(label);
    }
    tf.dispose([q, k, v]);
  }
  return rows;
}

/** Number of progress steps `runAttentionKernels` reports for a preset. */
export function attentionKernelSteps(preset: AttentionKernelSettings): number {
  return preset.lengths.length * Object.keys(IMPLEMENTATIONS).length;
}
