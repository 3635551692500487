import {
  assertKnownOptions,
  assertLiveTensor,
  assertNumber,
  InvalidArgumentError,
} from '@efficient-attention/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  favorExponent,
  keyFeatures,
  type PreparedFeatureMap,
  prepareFeatureMap,
  projectionTensor,
  queryFeatures,
} from './apply-feature-map.js';
import { eluPlusOne, type FeatureMap, resolveFeatureMap } from './feature-maps.js';
import { DEFAULT_EPS } from './linear-attention.js';
import { repeatKvHeads } from './repeat-kv-heads.js';

/**
 * The running state of causal linear attention (Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236,
 * section 3.4, "transformers are RNNs"): `S = Σ_j φ(k_j) [v_j | 1]ᵀ` over the tokens seen so far, whose last
 * column is the normaliser `z = Σ_j φ(k_j)`. Its size does not depend on the number of tokens, so decoding
 * one more token costs O(F·d), not O(N). A state is immutable: {@link linearAttentionStep} returns a new one;
 * dispose the old one when done with it.
 */
export interface LinearAttentionState {
  readonly featureMap: FeatureMap;
  readonly batch: number;
  readonly heads: number;
  readonly headDim: number;
  readonly valueDim: number;
  /** Features per head (d, or m for FAVOR+). */
  readonly numFeatures: number;
  /** FAVOR+ only: the drawn projection `d^(−1/4)·Wᵀ` (`[headDim, numFeatures]`), drawn once at creation. */
  readonly projection?: Float32Array;
  /** Tokens consumed so far. */
  readonly length: number;
  /** Lower bound of the normaliser (as {@link LinearAttentionOptions.eps}). */
  readonly eps: number;
  /** `S`: `[batch, heads, numFeatures, valueDim + 1]`. */
  readonly kv: tf.Tensor4D;
  /**
   * Stabilised FAVOR+ only: the running max `c` of the key exponents, `[batch, heads, 1, 1]`; `kv` holds
   * `S·e^(−c)`. When a new key exceeds it, `kv` is rescaled (the online-softmax trick), so the state never
   * overflows and equals the parallel form up to rounding. Zeros for the other feature maps.
   */
  readonly keyShift: tf.Tensor4D;
  /** Frees `kv` and `keyShift`. */
  dispose(): void;
}

/** Options of {@link createLinearAttentionState}. */
export interface LinearAttentionStateOptions {
  batch: number;
  /** Query heads (keys and values may have fewer: grouped-query steps repeat them). */
  heads: number;
  headDim: number;
  /** Value dimension. Default `headDim`. */
  valueDim?: number;
  /** The feature map; it must be the one the model was trained with. Default {@link eluPlusOne}. */
  featureMap?: FeatureMap;
  /** Lower bound of the normaliser. Default 1e-12 (as {@link linearAttention}). */
  eps?: number;
}

const CREATE = 'createLinearAttentionState';
const STEP = 'linearAttentionStep';
/** Initial running max for FAVOR+ keys: any real exponent exceeds it, and `0·exp(−huge − c) = 0`. */
const NO_KEYS_YET = -1e30;

function makeState(
  prepared: PreparedFeatureMap,
  fields: Omit<LinearAttentionState, 'dispose' | 'featureMap' | 'numFeatures' | 'headDim' | 'projection'>,
): LinearAttentionState {
  return Object.freeze({
    ...fields,
    featureMap: prepared.map,
    numFeatures: prepared.numFeatures,
    headDim: prepared.headDim,
    ...(prepared.projection === undefined ? {} : { projection: prepared.projection }),
    dispose: () => tf.dispose([fields.kv, fields.keyShift]),
  });
}

/**
 * An empty recurrent state for causal linear attention with the given feature map (the same map, and for
 * FAVOR+ the same seed, as the parallel {@link linearAttention} it continues). Katharopoulos et al. 2020,
 * https://arxiv.org/abs/2006.16236, section 3.4.
 *
 * @example
 * ```ts
 * let state = createLinearAttentionState({ batch: 1, heads: 8, headDim: 64 });
 * for (const [q, k, v] of tokens) {             // each [1, 8, 1, 64]
 *   const { output, state: next } = linearAttentionStep(state, q, k, v);
 *   state.dispose();
 *   state = next;                                // O(1) memory in the number of tokens
 * }
 * ```
 */
export function createLinearAttentionState(options: LinearAttentionStateOptions): LinearAttentionState {
  assertKnownOptions(CREATE, options, ['batch', 'heads', 'headDim', 'valueDim', 'featureMap', 'eps']);
  const { batch, heads, headDim } = options;
  assertNumber(CREATE, 'options.batch', batch, { integer: true, min: 1 });
  assertNumber(CREATE, 'options.heads', heads, { integer: true, min: 1 });
  assertNumber(CREATE, 'options.headDim', headDim, { integer: true, min: 1 });
  const valueDim = options.valueDim ?? headDim;
  assertNumber(CREATE, 'options.valueDim', valueDim, { integer: true, min: 1 });
  const eps = options.eps ?? DEFAULT_EPS;
  assertNumber(CREATE, 'options.eps', eps, { positive: true });
  const map = resolveFeatureMap(CREATE, 'options.featureMap', options.featureMap ?? eluPlusOne());
  const prepared = prepareFeatureMap(map, headDim);
  return makeState(prepared, {
    batch,
    heads,
    valueDim,
    eps,
    length: 0,
    kv: tf.zeros([batch, heads, prepared.numFeatures, valueDim + 1]),
    keyShift: tf.fill([batch, heads, 1, 1], map.kind === 'favor-plus' && map.stabilize ? NO_KEYS_YET : 0),
  });
}

function checkStepInput(state: LinearAttentionState, name: string, x: unknown, lastDim: number): number {
  const t = x as tf.Tensor | null;
  assertLiveTensor(STEP, name, x);
  const expected = `a float32 tensor [${state.batch}, heads, T, ${lastDim}]`;
  if (
    t === null ||
    typeof t !== 'object' ||
    !Array.isArray(t.shape) ||
    t.rank !== 4 ||
    t.dtype !== 'float32'
  ) {
    throw new InvalidArgumentError(STEP, name, expected, x);
  }
  const [b, h, n, d] = t.shape as [number, number, number, number];
  if (b !== state.batch || d !== lastDim || n < 1)
    throw new InvalidArgumentError(STEP, `${name}.shape`, expected, t.shape);
  if (state.heads % h !== 0) {
    throw new InvalidArgumentError(
      STEP,
      `${name}.shape[1] (heads)`,
      `a divisor of the state's ${state.heads} heads`,
      h,
    );
  }
  return n;
}

/**
 * Advances a causal linear attention state by T ≥ 1 tokens and returns their outputs: T = 1 is one decoding
 * step, O(F·d) per head whatever the number of tokens seen; a longer block (a prompt, in chunks) costs
 * O(T²·F + T·F·d). Equal, up to float32 rounding, to the last T rows of causal {@link linearAttention} over
 * all tokens so far (tested). Shapes: q `[batch, heads, T, headDim]`, k `[batch, kvHeads, T, headDim]`, v
 * `[batch, kvHeads, T, valueDim]` → output `[batch, heads, T, valueDim]`. The input state is not disposed.
 *
 * Paper: Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236, eq. 18–20.
 *
 * @example
 * ```ts
 * const { output, state: next } = linearAttentionStep(state, qT, kT, vT); // [1, 8, 1, 64] each
 * ```
 */
export function linearAttentionStep(
  state: LinearAttentionState,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
): { output: tf.Tensor4D; state: LinearAttentionState } {
  if (state === null || typeof state !== 'object' || !(state.kv instanceof tf.Tensor)) {
    throw new InvalidArgumentError(
      STEP,
      'state',
      'a state from createLinearAttentionState or linearAttentionStep',
      state,
    );
  }
  const prepared: PreparedFeatureMap = {
    map: state.featureMap,
    headDim: state.headDim,
    numFeatures: state.numFeatures,
    ...(state.projection === undefined ? {} : { projection: state.projection }),
  };
  if (state.kv.isDisposed) {
    throw new InvalidArgumentError(
      STEP,
      'state',
      'a live state',
      'a disposed state',
      'Keep a state until its next step has run.',
    );
  }
  const t = checkStepInput(state, 'q', q, state.headDim);
  if (q.shape[1] !== state.heads) {
    throw new InvalidArgumentError(
      STEP,
      'q.shape[1] (heads)',
      `${state.heads} (the state's heads)`,
      q.shape[1],
    );
  }
  for (const [name, x, dim] of [
    ['k', k, state.headDim],
    ['v', v, state.valueDim],
  ] as const) {
    if (checkStepInput(state, name, x, dim) !== t) {
      throw new InvalidArgumentError(STEP, `${name}.shape[2] (T)`, `${t} (q's T)`, x.shape[2]);
    }
  }
  if (k.shape[1] !== v.shape[1]) {
    throw new InvalidArgumentError(STEP, 'v.shape[1] (heads)', `${k.shape[1]} (k's heads)`, v.shape[1]);
  }
  const { batch, heads, headDim, valueDim, numFeatures: f } = state;
  const [kv, keyShift, output] = tf.tidy(() => {
    const group = heads / k.shape[1]!;
    const projection = projectionTensor(prepared);
    const rows = (x: tf.Tensor) =>
      tf.reshape(repeatKvHeads(x, group), [batch * heads, t, headDim]) as tf.Tensor3D;
    const qRows = tf.reshape(q, [batch * heads, t, headDim]) as tf.Tensor3D;
    const kRows = rows(k);
    const phiQ = tf.reshape(queryFeatures(prepared, qRows, projection), [batch, heads, t, f]);
    let shift: tf.Tensor4D = state.keyShift;
    let previous: tf.Tensor = state.kv;
    let phiK: tf.Tensor;
    if (prepared.map.kind === 'favor-plus' && prepared.map.stabilize) {
      const u = favorExponent(kRows, projection!, headDim);
      shift = tf.maximum(state.keyShift, tf.reshape(tf.max(u, [1, 2]), [batch, heads, 1, 1]));
      previous = tf.mul(state.kv, tf.exp(tf.sub(state.keyShift, shift)));
      phiK = tf.reshape(keyFeatures(prepared, kRows, projection, tf.reshape(shift, [batch * heads, 1, 1])), [
        batch,
        heads,
        t,
        f,
      ]);
    } else {
      phiK = tf.reshape(keyFeatures(prepared, kRows, projection), [batch, heads, t, f]);
    }
    const vAug = tf.concat([repeatKvHeads(v, group), tf.ones([batch, heads, t, 1])], 3);
    // Inside the block: masked φ(q)φ(k)ᵀ; before it: the state. T is small (1 when decoding).
    const lower = tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
    const all = tf.add(
      tf.matMul(tf.mul(tf.matMul(phiQ, phiK, false, true), lower), vAug),
      tf.matMul(phiQ, previous),
    );
    const num = tf.slice(all, [0, 0, 0, 0], [batch, heads, t, valueDim]);
    const den = tf.slice(all, [0, 0, 0, valueDim], [batch, heads, t, 1]);
    const out = tf.div(num, tf.maximum(den, state.eps)) as tf.Tensor4D;
    return [
      tf.add(previous, tf.matMul(phiK, vAug, true, false)) as tf.Tensor4D,
      tf.clone(shift) as tf.Tensor4D,
      out,
    ];
  });
  const next = makeState(prepared, {
    batch,
    heads,
    valueDim,
    eps: state.eps,
    length: state.length + t,
    kv,
    keyShift,
  });
  return { output, state: next };
}
