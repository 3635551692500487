import { median } from '@efficient-attention/bench/median';
import { seededNormal } from '@efficient-attention/core';
import { type CostMechanism, type CostParams, costModel } from './cost-models.js';
import { loadTf } from './load-tf.js';

/** One timing of {@link measureAttention}. */
export interface AttentionMeasurement {
  mechanism: CostMechanism;
  n: number;
  /** Median wall time of a forward pass in ms (after one warm-up run). */
  medianMs: number;
  /** Peak bytes tfjs allocated during one forward pass (`tf.profile`). */
  peakBytes: number;
  /** The backend it ran on. */
  backend: string;
}

/**
 * Times one forward pass of a registered mechanism (dense, block-sparse sliding window, linear elu + 1,
 * Linformer, Performer) on one head of N seeded random tokens on the active tfjs backend: the median of
 * `repeats` runs after a warm-up, and the peak bytes of one run. Reads the result back (`data()`), so GPU
 * backends are timed to completion. Wall times depend on the machine: compare mechanisms within one run.
 *
 * @example
 * ```ts
 * const m = await measureAttention(COST_MECHANISMS[0], 256, DEFAULT_COST_PARAMS, 3);
 * console.log(m.medianMs, m.backend);
 * ```
 */
export async function measureAttention(
  mechanism: CostMechanism,
  n: number,
  p: CostParams,
  repeats = 3,
): Promise<AttentionMeasurement> {
  const tf = await loadTf();
  const model = costModel(mechanism);
  const instance = model.definition.create(model.config(p), {
    seed: 0,
    heads: 1,
    headDim: p.headDim,
    seqLen: n,
  });
  const q = seededNormal([1, 1, n, p.headDim], 1);
  const k = seededNormal([1, 1, n, p.headDim], 2);
  const v = seededNormal([1, 1, n, p.headDim], 3);
  try {
    const run = async () => {
      const out = instance.apply(q, k, v);
      await out.data();
      out.dispose();
    };
    await run();
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      await run();
      times.push(performance.now() - start);
    }
    const profile = await tf.profile(() => {
      const out = instance.apply(q, k, v);
      out.dispose();
    });
    return {
      mechanism,
      n,
      medianMs: median(times),
      peakBytes: profile.peakBytes,
      backend: tf.getBackend(),
    };
  } finally {
    instance.dispose();
    tf.dispose([q, k, v]);
  }
}
