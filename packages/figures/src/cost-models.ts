import { denseMechanism, InvalidArgumentError, type MechanismDefinition } from '@efficient-attention/core';
import {
  linearEluMechanism,
  linformerMechanism,
  performerMechanism,
} from '@efficient-attention/linear-attention';
import { blockSparseMechanism, slidingWindowPattern } from '@efficient-attention/sparse-masks';

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
 * The analytic forward cost of one mechanism, tied to its registered definition (the mechanism the figures
 * measure is the definition itself, with the config the cost model assumes).
 */
export interface CostModel {
  readonly definition: MechanismDefinition;
  /** Series label: the definition's title, with the variant the cost model describes. */
  readonly title: string;
  /** The cost of one head over N tokens. */
  cost(n: number, p: CostParams): Cost;
  /** The definition's config that matches the cost model's parameters. */
  config(p: CostParams): object;
}

/**
 * The analytic forward cost of one attention head over N tokens, per mechanism:
 * - dense: QKᵀ and AV, 4·N²·d FLOPs; the N × N scores (Vaswani et al. 2017);
 * - block-sparse sliding window: 4·N·(2w + 1)·d; N·(2w + 1) scores (Beltagy et al. 2020);
 * - linear (elu + 1): φ(K)ᵀV and φ(Q)(·), 4·N·d²; a d × d state (Katharopoulos et al. 2020);
 * - Linformer: project K and V to k rows, then attend, 8·N·k·d; N·k scores (Wang et al. 2020);
 * - Performer (FAVOR+): features of Q and K, φ(K)ᵀV and φ(Q)(·), 8·N·m·d; N·m features + m·d state
 *   (Choromanski et al. 2021).
 * Capped where a window or projection exceeds N (a window never sees more than N keys).
 *
 * @example
 * ```ts
 * COST_MODELS.map((m) => [m.title, m.cost(1024, DEFAULT_COST_PARAMS).flops]);
 * ```
 */
export const COST_MODELS: readonly CostModel[] = Object.freeze([
  {
    definition: denseMechanism,
    title: denseMechanism.title,
    cost: (n, p) => ({ flops: 4 * n * n * p.headDim, memory: n * n }),
    config: () => ({}),
  },
  {
    definition: blockSparseMechanism,
    title: `${blockSparseMechanism.title}: ${slidingWindowPattern.title}`,
    cost: (n, p) => {
      const keys = Math.min(n, 2 * p.radius + 1);
      return { flops: 4 * n * keys * p.headDim, memory: n * keys };
    },
    config: (p) => ({ pattern: slidingWindowPattern.name, radius: p.radius, blockSize: 64 }),
  },
  {
    definition: linearEluMechanism,
    title: linearEluMechanism.title,
    cost: (n, p) => ({ flops: 4 * n * p.headDim * p.headDim, memory: p.headDim * p.headDim + n * p.headDim }),
    config: () => ({}),
  },
  {
    definition: linformerMechanism,
    title: linformerMechanism.title,
    cost: (n, p) => {
      const k = Math.min(n, p.projectedLength);
      return { flops: 8 * n * k * p.headDim, memory: n * k };
    },
    config: (p) => ({ projectedLength: p.projectedLength }),
  },
  {
    definition: performerMechanism,
    title: performerMechanism.title,
    cost: (n, p) => ({
      flops: 8 * n * p.features * p.headDim,
      memory: n * p.features + p.features * p.headDim,
    }),
    config: (p) => ({ numFeatures: p.features }),
  },
]);

/** The registry names of the mechanisms the complexity figure compares, in {@link COST_MODELS} order. */
export const COST_MECHANISMS: readonly string[] = Object.freeze(COST_MODELS.map((m) => m.definition.name));

/** The mechanism the O(N²) guide of a log-log chart is anchored at (dense attention). */
export const QUADRATIC_REFERENCE: string = denseMechanism.name;
/** The mechanism the O(N) guide of a log-log chart is anchored at (linear attention, elu + 1). */
export const LINEAR_REFERENCE: string = linearEluMechanism.name;

/** A registry name of one of {@link COST_MODELS}. */
export type CostMechanism = string;

/**
 * The cost model of a mechanism by its registry name; throws naming the compared mechanisms otherwise.
 *
 * @example
 * ```ts
 * costModel(denseMechanism.name).title; // 'Dense (softmax)'
 * ```
 */
export function costModel(mechanism: CostMechanism): CostModel {
  const model = COST_MODELS.find((m) => m.definition.name === mechanism);
  if (model === undefined) {
    throw new InvalidArgumentError(
      'costModel',
      'mechanism',
      `one of ${COST_MECHANISMS.join(', ')}`,
      mechanism,
    );
  }
  return model;
}

/**
 * The analytic forward cost of one attention head over N tokens (see {@link COST_MODELS}).
 *
 * @example
 * ```ts
 * attentionCost(denseMechanism.name, 1024, DEFAULT_COST_PARAMS).flops; // 4·1024²·64 = 268435456
 * ```
 */
export function attentionCost(mechanism: CostMechanism, n: number, p: CostParams): Cost {
  return costModel(mechanism).cost(n, p);
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
