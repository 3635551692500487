import { builtinCatalogue } from '@efficient-attention/all';
import { median } from '@efficient-attention/bench/median';
import { seededNormal } from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import type { InferenceJob, InferenceOutput } from './jobs.js';

/**
 * One non-causal attention forward pass over seeded unit-normal q, k, v `[1, heads, n, headDim]`: a
 * warm-up call under `tf.profile` (peak tensor bytes), then `repeats` timed calls (median reported). Throws if the output is not finite.
 */
export async function measureInference(job: InferenceJob): Promise<InferenceOutput> {
  const started = performance.now();
  const attention = builtinCatalogue()
    .mechanisms.get(job.mechanism)
    .create(job.config, { seed: job.seed, heads: job.heads, headDim: job.headDim, seqLen: job.n });
  const shape = [1, job.heads, job.n, job.headDim];
  const [q, k, v] = [0, 1, 2].map((i) => seededNormal(shape, job.seed + i)) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  try {
    // The warm-up call runs under tf.profile for the peak tensor bytes; the timed calls run bare.
    let values: Float32Array | Int32Array | Uint8Array = new Float32Array(0);
    const profile = await tf.profile(async () => {
      const warm = attention.apply(q, k, v);
      values = await warm.data();
      warm.dispose();
    });
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new Error(`non-finite attention output at element ${i}`);
    }
    const timesMs: number[] = [];
    for (let r = 0; r < job.repeats; r++) {
      const t0 = performance.now();
      const out = attention.apply(q, k, v);
      await out.data();
      timesMs.push(performance.now() - t0);
      out.dispose();
    }
    return {
      medianMs: median(timesMs),
      timesMs,
      tfPeakBytes: profile.peakBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    tf.dispose([q, k, v]);
    attention.dispose();
  }
}
