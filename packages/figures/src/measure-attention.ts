import { median } from '@efficient-attention/bench/median';
import { MechanismRegistry, registerCoreMechanisms, seededNormal } from '@efficient-attention/core';
import { registerLinearAttention } from '@efficient-attention/linear-attention';
import { registerSparseMasks } from '@efficient-attention/sparse-masks';
import type { CostMechanism, CostParams } from './cost-models.js';
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

// Our own registry, not the shared default: pages that register mechanisms themselves never collide with it.
let registry: MechanismRegistry | undefined;

function mechanisms(): MechanismRegistry {
  if (registry === undefined) {
    registry = new MechanismRegistry();
    registerCoreMechanisms(registry);
    registerSparseMasks(registry);
    registerLinearAttention(registry);
  }
  return registry;
}

const REGISTRY_NAMES: Readonly<Record<CostMechanism, string>> = {
  dense: 'dense',
  sparse: 'block-sparse',
  linear: 'linear-elu',
  linformer: 'linformer',
  performer: 'performer',
};

function configOf(mechanism: CostMechanism, p: CostParams): object {
  switch (mechanism) {
    case 'sparse':
      return { pattern: 'sliding-window', radius: p.radius, blockSize: 64 };
    case 'linformer':
      return { projectedLength: p.projectedLength };
    case 'performer':
      return { numFeatures: p.features };
    default:
      return {};
  }
}

/**
 * Times one forward pass of a registered mechanism (dense, block-sparse sliding window, linear elu + 1,
 * Linformer, Performer) on one head of N seeded random tokens on the active tfjs backend: the median of
 * `repeats` runs after a warm-up, and the peak bytes of one run. Reads the result back (`data()`), so GPU
 * backends are timed to completion. Wall times depend on the machine: compare mechanisms within one run.
 *
 * @example
 * ```ts
 * const m = await measureAttention('dense', 256, DEFAULT_COST_PARAMS, 3);
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
  const definition = mechanisms().get(REGISTRY_NAMES[mechanism]);
  const instance = definition.create(configOf(mechanism, p), {
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
