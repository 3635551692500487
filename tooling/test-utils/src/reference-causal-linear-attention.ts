/** Inputs of {@link referenceCausalLinearAttention}: row-major float64 (or float32) arrays and the shape. */
export interface ReferenceCausalLinearInputs {
  /** φ(q) `[planes, n, features]` (planes = batch · heads). */
  phiQ: ArrayLike<number>;
  /** φ(k) `[planes, n, features]`. */
  phiK: ArrayLike<number>;
  /** `[planes, n, valueDim]`. */
  v: ArrayLike<number>;
  planes: number;
  n: number;
  features: number;
  valueDim: number;
}

/** The modes of core's `EACausalLinearAttention` contract. */
export interface ReferenceCausalLinearOptions {
  /** Floor of the normaliser: `out = num / max(den, eps)`. */
  eps: number;
  /** Default true; false: `out = num`. */
  normalize?: boolean;
  /** Default false (row i sees j ≤ i); true: row i sees j ≥ i. */
  reverse?: boolean;
}

/** Gradients of {@link referenceCausalLinearAttention} in float64 (shapes of phiQ, phiK, v). */
export interface ReferenceCausalLinearGradients {
  dPhiQ: Float64Array;
  dPhiK: Float64Array;
  dV: Float64Array;
  /** The forward output `[planes, n, valueDim]`. */
  output: Float64Array;
}

const sees = (i: number, j: number, reverse: boolean) => (reverse ? j >= i : j <= i);

/**
 * Causal linear attention in float64 from its definition, the explicit O(N²) form (no scan, no chunks):
 * `out_i = Σ_{j visible} s_ij v_j / max(Σ_{j visible} s_ij, eps)` with `s_ij = φ(q_i)·φ(k_j)` (Katharopoulos
 * et al. 2020, https://arxiv.org/abs/2006.16236, eq. 9), or the numerator alone when `normalize` is false.
 *
 * @example
 * ```ts
 * const out = referenceCausalLinearAttention({ phiQ, phiK, v, planes: 2, n: 10, features: 4, valueDim: 3 }, { eps: 1e-6 });
 * ```
 */
export function referenceCausalLinearAttention(
  x: ReferenceCausalLinearInputs,
  options: ReferenceCausalLinearOptions,
): Float64Array {
  return forward(x, options).output;
}

function forward(x: ReferenceCausalLinearInputs, options: ReferenceCausalLinearOptions) {
  const { phiQ, phiK, v, planes, n, features: f, valueDim: dv } = x;
  const normalize = options.normalize ?? true;
  const reverse = options.reverse ?? false;
  const output = new Float64Array(planes * n * dv);
  const den = new Float64Array(planes * n);
  const scores = new Float64Array(planes * n * n);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < n; i++) {
      const num = new Float64Array(dv);
      let d = 0;
      for (let j = 0; j < n; j++) {
        if (!sees(i, j, reverse)) continue;
        let s = 0;
        for (let t = 0; t < f; t++) s += phiQ[(p * n + i) * f + t]! * phiK[(p * n + j) * f + t]!;
        scores[(p * n + i) * n + j] = s;
        d += s;
        for (let c = 0; c < dv; c++) num[c]! += s * v[(p * n + j) * dv + c]!;
      }
      den[p * n + i] = d;
      // Math.max(NaN, eps) is NaN, like the kernels' max.
      const divisor = normalize ? Math.max(d, options.eps) : 1;
      for (let c = 0; c < dv; c++) output[(p * n + i) * dv + c] = num[c]! / divisor;
    }
  }
  return { output, den, scores };
}

/**
 * The vector-Jacobian product of {@link referenceCausalLinearAttention} in float64, differentiating the
 * explicit O(N²) form directly (independent of the scans the kernels' backward is built from): with
 * `D_i = max(den_i, eps)`, `g_i = dO_i / D_i` and `h_i = −(dO_i·out_i) / D_i` where `den_i ≥ eps` (else 0,
 * as tfjs's `maximum` gradient), the score gradient is `ds_ij = g_i·v_j + h_i` for visible j, and
 * `dφq_i = Σ_j ds_ij φk_j`, `dφk_j = Σ_i ds_ij φq_i`, `dv_j = Σ_i s_ij g_i`. Unnormalised: g = dO, h = 0.
 *
 * @example
 * ```ts
 * const { dPhiQ, dPhiK, dV } = referenceCausalLinearAttentionGrad(inputs, dOut, { eps: 1e-6 });
 * ```
 */
export function referenceCausalLinearAttentionGrad(
  x: ReferenceCausalLinearInputs,
  dOut: ArrayLike<number>,
  options: ReferenceCausalLinearOptions,
): ReferenceCausalLinearGradients {
  const { phiQ, phiK, v, planes, n, features: f, valueDim: dv } = x;
  const normalize = options.normalize ?? true;
  const reverse = options.reverse ?? false;
  const { output, den, scores } = forward(x, options);
  const dPhiQ = new Float64Array(planes * n * f);
  const dPhiK = new Float64Array(planes * n * f);
  const dV = new Float64Array(planes * n * dv);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < n; i++) {
      const row = p * n + i;
      const d = normalize ? Math.max(den[row]!, options.eps) : 1;
      const g = new Float64Array(dv);
      let dotOut = 0;
      for (let c = 0; c < dv; c++) {
        g[c] = dOut[row * dv + c]! / d;
        dotOut += dOut[row * dv + c]! * output[row * dv + c]!;
      }
      const h = normalize && den[row]! >= options.eps ? -dotOut / d : 0;
      for (let j = 0; j < n; j++) {
        if (!sees(i, j, reverse)) continue;
        const col = p * n + j;
        let ds = h;
        for (let c = 0; c < dv; c++) ds += g[c]! * v[col * dv + c]!;
        const s = scores[row * n + j]!;
        for (let t = 0; t < f; t++) {
          dPhiQ[row * f + t]! += ds * phiK[col * f + t]!;
          dPhiK[col * f + t]! += ds * phiQ[row * f + t]!;
        }
        for (let c = 0; c < dv; c++) dV[col * dv + c]! += s * g[c]!;
      }
    }
  }
  return { dPhiQ, dPhiK, dV, output };
}
