import { assertKnownOptions, assertNumber, InvalidArgumentError } from '@efficient-attention/core';

/**
 * Kernel feature maps φ for linear attention, as data: a frozen description that {@link linearAttention},
 * the recurrent state and the registry can all read (and a JSON model config can hold). Linear attention
 * replaces `exp(q·k/√d)` by `φ(q)·φ(k)` so that `Σ_j φ(q)·φ(k_j) v_j = φ(q)ᵀ (Σ_j φ(k_j) v_jᵀ)` costs O(N).
 */

/** φ(x) = elu(x) + 1 (Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236): positive, d features. */
export interface EluPlusOneFeatureMap {
  readonly kind: 'elu-plus-one';
}

/** φ(x) = max(x, 0) (as in the linear-transformer literature's ReLU kernel): non-negative, d features. */
export interface ReluFeatureMap {
  readonly kind: 'relu';
}

/**
 * FAVOR+ positive orthogonal random features (Performer, Choromanski et al. 2020,
 * https://arxiv.org/abs/2009.14794, Lemma 1 and section 2.4): `φ(x) = exp(W x̃ − ‖x̃‖²/2) / √m` with
 * `x̃ = x · d^(−1/4)`, so that `E[φ(q)·φ(k)] = exp(q·k/√d)`, the softmax kernel.
 */
export interface FavorPlusFeatureMap {
  readonly kind: 'favor-plus';
  /** m, the number of random features, or `'auto'` for ⌈d·ln d⌉ (at least 1). */
  readonly numFeatures: number | 'auto';
  /** Orthogonal random features (rows of each d×d block orthogonal, norms drawn from chi(d)). */
  readonly orthogonal: boolean;
  /** Seed of the random matrix W. */
  readonly seed: number;
  /** Redraw index: W is drawn from `(seed, redraw)`; bump it to redraw the features (Performer redraws during training). */
  readonly redraw: number;
  /**
   * Subtract a max before `exp` (per row for queries, one per head for keys) so that the largest feature is
   * exactly 1: raw features underflow to 0 for large ‖x‖. Exact: the constants cancel in the normalisation.
   */
  readonly stabilize: boolean;
}

/** Every feature map linear attention accepts. */
export type FeatureMap = EluPlusOneFeatureMap | ReluFeatureMap | FavorPlusFeatureMap;

/**
 * The `kind`s of {@link FeatureMap}, for validation and UIs (papers: https://arxiv.org/abs/2006.16236,
 * https://arxiv.org/abs/2009.14794).
 *
 * @example
 * ```ts
 * FEATURE_MAP_KINDS.includes(config.featureMap.kind); // true for a valid map
 * ```
 */
export const FEATURE_MAP_KINDS = ['elu-plus-one', 'relu', 'favor-plus'] as const;

/**
 * The elu + 1 feature map of "Transformers are RNNs" (Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236, eq. 7).
 *
 * @example
 * ```ts
 * const out = linearAttention(q, k, v, { featureMap: eluPlusOne(), causal: true });
 * ```
 */
export function eluPlusOne(): EluPlusOneFeatureMap {
  return Object.freeze({ kind: 'elu-plus-one' });
}

/**
 * The ReLU feature map φ(x) = max(x, 0) (a common linear-attention kernel; see Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236, section 3.2). A query with no positive overlap with any key has a zero
 * normaliser; linear attention then returns zeros for it, not NaN.
 *
 * @example
 * ```ts
 * const out = linearAttention(q, k, v, { featureMap: relu() });
 * ```
 */
export function relu(): ReluFeatureMap {
  return Object.freeze({ kind: 'relu' });
}

/** Options of {@link favorPlus}. */
export interface FavorPlusOptions {
  /** m, the number of random features. Default `'auto'`: ⌈d·ln d⌉ (Performer's and xformers' choice), ≥ 1. */
  numFeatures?: number | 'auto';
  /** Orthogonal random features (block-orthogonal W, chi(d) row norms). Default `true`. */
  orthogonal?: boolean;
  /** Seed of W. Default 0. */
  seed?: number;
  /** Redraw index (W depends on `(seed, redraw)`). Default 0. */
  redraw?: number;
  /** Max-subtraction before `exp` (exact: it cancels in num/den). Default `true`. */
  stabilize?: boolean;
}

const FAVOR_KEYS = ['numFeatures', 'orthogonal', 'seed', 'redraw', 'stabilize'] as const;

/**
 * FAVOR+ random features (Performer, Choromanski et al. 2020, https://arxiv.org/abs/2009.14794): positive
 * random features `exp(wᵀx̃ − ‖x̃‖²/2)/√m`, `x̃ = x·d^(−1/4)`, with orthogonal W drawn from `(seed, redraw)`.
 * Stabilised as the paper's code does: queries subtract their row max (here via a softmax over features),
 * keys subtract one max per head; both are positive constants that cancel in the normalisation.
 *
 * @example
 * ```ts
 * const performer = favorPlus({ numFeatures: 256, seed: 7 });
 * const out = linearAttention(q, k, v, { featureMap: performer, causal: true });
 * ```
 */
export function favorPlus(options: FavorPlusOptions = {}): FavorPlusFeatureMap {
  const fn = 'favorPlus';
  assertKnownOptions(fn, options, FAVOR_KEYS);
  const numFeatures = options.numFeatures ?? 'auto';
  if (numFeatures !== 'auto') assertNumber(fn, 'options.numFeatures', numFeatures, { integer: true, min: 1 });
  const seed = options.seed ?? 0;
  assertNumber(fn, 'options.seed', seed, { integer: true });
  const redraw = options.redraw ?? 0;
  assertNumber(fn, 'options.redraw', redraw, { integer: true, min: 0 });
  const orthogonal = options.orthogonal ?? true;
  const stabilize = options.stabilize ?? true;
  for (const [name, value] of [
    ['orthogonal', orthogonal],
    ['stabilize', stabilize],
  ] as const) {
    if (typeof value !== 'boolean') throw new InvalidArgumentError(fn, `options.${name}`, 'a boolean', value);
  }
  return Object.freeze({ kind: 'favor-plus', numFeatures, orthogonal, seed, redraw, stabilize });
}

/**
 * The number of features φ produces for head dimension `headDim`: d for elu+1 and ReLU, m for FAVOR+
 * (`'auto'` → ⌈d·ln d⌉, at least 1, the Performer paper's choice: https://arxiv.org/abs/2009.14794, Theorem 4).
 *
 * @example
 * ```ts
 * featureCount(favorPlus(), 64); // 267
 * ```
 */
export function featureCount(map: FeatureMap, headDim: number): number {
  if (map.kind !== 'favor-plus') return headDim;
  if (map.numFeatures !== 'auto') return map.numFeatures;
  return Math.max(1, Math.ceil(headDim * Math.log(headDim)));
}

/**
 * Validates a feature map (built by {@link eluPlusOne}, {@link relu} or {@link favorPlus}, or read from a JSON
 * config) and returns it frozen with defaults filled (maps from https://arxiv.org/abs/2006.16236 and
 * https://arxiv.org/abs/2009.14794).
 *
 * @example
 * ```ts
 * const map = resolveFeatureMap('myAttention', 'options.featureMap', JSON.parse('{"kind":"relu"}'));
 * ```
 */
export function resolveFeatureMap(fn: string, parameter: string, map: unknown): FeatureMap {
  const kind = (map as { kind?: unknown } | null)?.kind;
  if (map === null || typeof map !== 'object' || !FEATURE_MAP_KINDS.includes(kind as FeatureMap['kind'])) {
    throw new InvalidArgumentError(
      fn,
      parameter,
      'a feature map built by eluPlusOne(), relu() or favorPlus({ … })',
      map,
    );
  }
  if (kind !== 'favor-plus') {
    assertKnownOptions(fn, map, ['kind']);
    return kind === 'relu' ? relu() : eluPlusOne();
  }
  assertKnownOptions(fn, map, ['kind', ...FAVOR_KEYS]);
  const { kind: _kind, ...rest } = map as FavorPlusFeatureMap;
  return favorPlus(rest);
}
