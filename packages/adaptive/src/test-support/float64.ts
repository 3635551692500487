/**
 * Float64 references for the tests (not built, not exported): plain-loop versions written from the
 * papers' definitions, sharing no code with the library.
 */

/** Softmax in float64; `−∞` entries get 0. */
export function softmax64(z: ArrayLike<number>): Float64Array {
  const max = Math.max(...Array.from(z));
  const e = Float64Array.from(z, (x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/**
 * Sparsemax as the Euclidean projection onto the simplex (Martins & Astudillo 2016, Alg. 1): sort
 * descending, support size k* = max{k : 1 + k·z₍ₖ₎ > Σ_{i≤k} z₍ᵢ₎}, τ = (Σ_{i≤k*} z₍ᵢ₎ − 1)/k*.
 */
export function sparsemax64(z: ArrayLike<number>): Float64Array {
  const sorted = Array.from(z)
    .filter((x) => x !== Number.NEGATIVE_INFINITY)
    .sort((a, b) => b - a);
  let cumulative = 0;
  let support = 0;
  let supportSum = 0;
  sorted.forEach((x, i) => {
    cumulative += x;
    if (1 + (i + 1) * x > cumulative) {
      support = i + 1;
      supportSum = cumulative;
    }
  });
  const tau = (supportSum - 1) / support;
  return Float64Array.from(z, (x) => Math.max(x - tau, 0));
}

/**
 * α-entmax by bisection in float64 (Peters et al. 2019, eq. 7): p = [(α−1)z − τ]₊^(1/(α−1)) with Σp = 1,
 * τ found to ~1e-15 by 200 halvings of [max − 1, max].
 */
export function entmax64(z: ArrayLike<number>, alpha: number): Float64Array {
  const x = Float64Array.from(z, (v) => (alpha - 1) * v);
  const max = Math.max(...x);
  const p = (tau: number) => x.map((v) => (v > tau ? (v - tau) ** (1 / (alpha - 1)) : 0));
  const total = (tau: number) => p(tau).reduce((a, b) => a + b, 0);
  let lo = max - 1;
  let hi = max;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (total(mid) >= 1) lo = mid;
    else hi = mid;
  }
  const out = p(lo);
  const sum = out.reduce((a, b) => a + b, 0);
  return out.map((v) => v / sum);
}

/**
 * The adaptive-span ramp of Sukhbaatar et al. 2019, eq. 4, for a key at distance `x = |q − kv|`:
 * m_z(x) = clamp((R + z − x)/R, 0, 1) for x < S, and 0 for x ≥ S (keys beyond the maximum span).
 */
export function rampMask64(x: number, z: number, rampSize: number, maxSpan: number): number {
  if (x >= maxSpan) return 0;
  return Math.min(1, Math.max(0, (rampSize + z - x) / rampSize));
}

/** The span score modifier in float64: score + log m, −∞ where m = 0. */
export function rampScore64(score: number, x: number, z: number, rampSize: number, maxSpan: number): number {
  const m = rampMask64(x, z, rampSize, maxSpan);
  return m > 0 ? score + Math.log(m) : Number.NEGATIVE_INFINITY;
}
