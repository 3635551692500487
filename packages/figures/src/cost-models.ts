/** The mechanisms the complexity figure compares. */
export const COST_MECHANISMS = ['dense', 'sparse', 'linear', 'linformer', 'performer'] as const;

/** One of {@link COST_MECHANISMS}. */
export type CostMechanism = (typeof COST_MECHANISMS)[number];

/** Parameters of the cost models. */
export interface CostParams {
  /** Head width d. */
  headDim: number;
  /** Sliding-window radius w of the sparse mechanism (2w + 1 keys per query). */
  radius: number;
  /** Linformer's projected length k. */
  projectedLength: number;
  /** Performer's random features m. */
  features: number;
}

/** Defaults matching the mechanisms' registry defaults (block-sparse radius 64, Linformer k = 256, m ≈ d·ln d). */
export const DEFAULT_COST_PARAMS: Readonly<CostParams> = Object.freeze({
  headDim: 64,
  radius: 64,
  projectedLength: 256,
  features: 266,
});

/** Forward cost of one head: FLOPs (a multiply-add is 2) and the floats of its largest intermediates. */
export interface Cost {
  flops: number;
  /** Floats held beyond q, k, v and the output. */
  memory: number;
}

/**
 * The analytic forward cost of one attention head over N tokens, per mechanism:
 * - dense: QKᵀ and AV, 4·N²·d FLOPs; the N × N scores (Vaswani et al. 2017);
 * - sparse (sliding window): 4·N·(2w + 1)·d; N·(2w + 1) scores (Beltagy et al. 2020);
 * - linear (elu + 1): φ(K)ᵀV and φ(Q)(·), 4·N·d²; a d × d state (Katharopoulos et al. 2020);
 * - Linformer: project K and V to k rows, then attend, 8·N·k·d; N·k scores (Wang et al. 2020);
 * - Performer (FAVOR+): features of Q and K, φ(K)ᵀV and φ(Q)(·), 8·N·m·d; N·m features + m·d state
 *   (Choromanski et al. 2021).
 * Capped where a window or projection exceeds N (a window never sees more than N keys).
 *
 * @example
 * ```ts
 * attentionCost('dense', 1024, DEFAULT_COST_PARAMS).flops; // 4·1024²·64 = 268435456
 * ```
 */
export function attentionCost(mechanism: CostMechanism, n: number, p: CostParams): Cost {
  const d = p.headDim;
  switch (mechanism) {
    case 'dense':
      return { flops: 4 * n * n * d, memory: n * n };
    case 'sparse': {
      const keys = Math.min(n, 2 * p.radius + 1);
      return { flops: 4 * n * keys * d, memory: n * keys };
    }
    case 'linear':
      return { flops: 4 * n * d * d, memory: d * d + n * d };
    case 'linformer': {
      const k = Math.min(n, p.projectedLength);
      return { flops: 8 * n * k * d, memory: n * k };
    }
    case 'performer':
      return { flops: 8 * n * p.features * d, memory: n * p.features + p.features * d };
  }
}

/**
 * Sequence lengths 2^from … 2^to, for log-log charts.
 *
 * @example
 * ```ts
 * powersOfTwo(6, 8); // [64, 128, 256]
 * ```
 */
export function powersOfTwo(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => 2 ** (from + i));
}
