/**
 * Float64 definitions the linear-attention tests compare against (shared by the unit and fuzz tests): the
 * feature maps and linear attention from the papers, and the small dense-matrix helpers of the Nyström and
 * Linformer definitions. Plain loops, no library code.
 */
import type { FuzzAttentionShape } from '@efficient-attention/test-utils';
import { favorFeatures } from '../favor-features.js';
import type { FeatureMap } from '../feature-maps.js';

/** φ in float64 from the papers' definitions (FAVOR+ from its W, without any stabiliser). */
export function phi64(map: FeatureMap, x: ArrayLike<number>, d: number): (row: number) => Float64Array {
  if (map.kind === 'elu-plus-one') {
    return (r) =>
      Float64Array.from({ length: d }, (_, t) => {
        const a = x[r * d + t]!;
        return a > 0 ? a + 1 : Math.exp(a);
      });
  }
  if (map.kind === 'relu')
    return (r) => Float64Array.from({ length: d }, (_, t) => Math.max(0, x[r * d + t]!));
  const w = favorFeatures(d, map);
  const m = w.length / d;
  const s = d ** -0.25;
  return (r) => {
    let sq = 0;
    for (let t = 0; t < d; t++) sq += (x[r * d + t]! * s) ** 2;
    return Float64Array.from({ length: m }, (_, f) => {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += w[f * d + t]! * x[r * d + t]! * s;
      return Math.exp(dot - sq / 2) / Math.sqrt(m);
    });
  };
}

/** The dense definition, out_i = Σ_j (φ(q_i)·φ(k_j)) v_j / max(Σ_j φ(q_i)·φ(k_j), eps), causal bottom-right aligned. */
export function linear64(
  map: FeatureMap,
  x: { q: ArrayLike<number>; k: ArrayLike<number>; v: ArrayLike<number> },
  s: FuzzAttentionShape,
  causal: boolean,
  eps = 1e-12,
): Float64Array {
  const group = s.heads / s.kvHeads;
  const phiQ = phi64(map, x.q, s.headDim);
  const phiK = phi64(map, x.k, s.headDim);
  const fk = Array.from({ length: s.batch * s.kvHeads * s.kvLen }, (_, r) => phiK(r));
  const out = new Float64Array(s.batch * s.heads * s.qLen * s.valueDim);
  for (let b = 0; b < s.batch; b++)
    for (let h = 0; h < s.heads; h++) {
      const kh = Math.floor(h / group);
      for (let i = 0; i < s.qLen; i++) {
        const fq = phiQ((b * s.heads + h) * s.qLen + i);
        let den = 0;
        const num = new Float64Array(s.valueDim);
        for (let j = 0; j < s.kvLen; j++) {
          if (causal && j > i + s.kvLen - s.qLen) continue;
          const row = (b * s.kvHeads + kh) * s.kvLen + j;
          const f = fk[row]!;
          let w = 0;
          for (let t = 0; t < fq.length; t++) w += fq[t]! * f[t]!;
          den += w;
          for (let c = 0; c < s.valueDim; c++) num[c]! += w * x.v[row * s.valueDim + c]!;
        }
        for (let c = 0; c < s.valueDim; c++)
          out[((b * s.heads + h) * s.qLen + i) * s.valueDim + c] = num[c]! / Math.max(den, eps);
      }
    }
  return out;
}

/** A row-major float64 matrix. */
export type Mat = Float64Array[];
export const mul = (a: Mat, b: Mat): Mat =>
  a.map((row) => {
    const out = new Float64Array(b[0]!.length);
    row.forEach((x, k) => {
      for (let j = 0; j < out.length; j++) out[j]! += x * b[k]![j]!;
    });
    return out;
  });
export const transpose = (a: Mat): Mat =>
  Array.from({ length: a[0]!.length }, (_, j) => Float64Array.from(a, (r) => r[j]!));
export const softmaxScores = (a: Mat, b: Mat, scale: number): Mat =>
  mul(a, transpose(b)).map((row) => {
    const max = Math.max(...row.map((x) => x * scale));
    const e = row.map((x) => Math.exp(x * scale - max));
    const z = e.reduce((acc, x) => acc + x, 0);
    return e.map((x) => x / z);
  });
/** Means of balanced segments [⌊s·n/m⌋, ⌊(s+1)·n/m⌋). */
export const segmentMeans = (x: Mat, m: number): Mat =>
  Array.from({ length: m }, (_, s) => {
    const from = Math.floor((s * x.length) / m);
    const to = Math.floor(((s + 1) * x.length) / m);
    const out = new Float64Array(x[0]!.length);
    for (let j = from; j < to; j++) for (let t = 0; t < out.length; t++) out[t]! += x[j]![t]! / (to - from);
    return out;
  });
/** The Nyströmformer pseudo-inverse iteration (Xiong et al. 2021, eq. 16) in float64. */
export function pinv64(a: Mat, iterations: number): Mat {
  const n1 = Math.max(...a[0]!.map((_, j) => a.reduce((s, r) => s + Math.abs(r[j]!), 0)));
  const nInf = Math.max(...a.map((r) => r.reduce((s, x) => s + Math.abs(x), 0)));
  let z = transpose(a).map((r) => r.map((x) => x / (n1 * nInf)));
  const shifted = (c: number, x: Mat) => x.map((r, i) => r.map((v, j) => (i === j ? c : 0) - v));
  for (let it = 0; it < iterations; it++) {
    const az = mul(a, z);
    z = mul(z, shifted(13, mul(az, shifted(15, mul(az, shifted(7, az)))))).map((r) => r.map((x) => x / 4));
  }
  return z;
}

/** Row-wise softmax. */
export const softmaxRows = (a: Mat): Mat =>
  a.map((row) => {
    const max = Math.max(...row);
    const e = row.map((x) => Math.exp(x - max));
    const z = e.reduce((s, x) => s + x, 0);
    return e.map((x) => x / z);
  });
