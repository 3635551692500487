/**
 * Test support (not published): the BitNet quantizers and RMSNorm in float64, written from the papers'
 * formulas and sharing no code with the library. Elements near a rounding threshold are marked
 * `ambiguous`: float32 and float64 may round them differently, so tests skip them or bound their effect.
 */

/** Round half to even in float64 (what tf.round and torch.round do). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * BitNet (1 bit: sign(W − mean W) with Sign(0) = −1, scale mean|W|) or BitNet b1.58 (1.58 bits:
 * round-clip(W / max(mean|W|, 1e-5), −1, 1), same scale). `inBand` marks where the clipped straight-through
 * estimator passes gradient. Ambiguity band: 1e-4 relative to the scale.
 */
export function referenceWeightQuantize(w: ArrayLike<number>, bits: 1 | 1.58) {
  const n = w.length;
  let meanAbs = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    meanAbs += Math.abs(w[i]!) / n;
    mean += w[i]! / n;
  }
  const values = new Float64Array(n);
  const ambiguous = new Uint8Array(n);
  const inBand = new Uint8Array(n);
  if (bits === 1) {
    const band = 1e-4 * meanAbs;
    for (let i = 0; i < n; i++) {
      const c = w[i]! - mean;
      values[i] = c > 0 ? 1 : -1;
      ambiguous[i] = Math.abs(c) < band || Math.abs(Math.abs(c) - meanAbs) < band ? 1 : 0;
      inBand[i] = Math.abs(c) <= meanAbs ? 1 : 0;
    }
    return { values, scale: meanAbs, ambiguous, inBand };
  }
  const scale = Math.max(meanAbs, 1e-5);
  for (let i = 0; i < n; i++) {
    const r = w[i]! / scale;
    values[i] = Math.max(-1, Math.min(1, roundHalfEven(r)));
    const a = Math.abs(r);
    ambiguous[i] = Math.abs(a - 0.5) < 1e-4 || Math.abs(a - 1) < 1e-4 || Math.abs(a - 1.5) < 1e-4 ? 1 : 0;
    inBand[i] = a <= 1 ? 1 : 0;
  }
  return { values, scale, ambiguous, inBand };
}

/**
 * BitNet's per-token absmax int8 quantizer over rows of length d: m = 127 / max(‖x‖∞, 1e-5),
 * q = clamp(round(x·m), −128, 127). Ambiguity band: x·m within 1e-3 of a half-integer.
 */
export function referenceActivationQuantize(x: ArrayLike<number>, d: number) {
  const rows = x.length / d;
  const q = new Float64Array(x.length);
  const multiplier = new Float64Array(rows);
  const ambiguous = new Uint8Array(x.length);
  for (let r = 0; r < rows; r++) {
    let absmax = 0;
    for (let j = 0; j < d; j++) absmax = Math.max(absmax, Math.abs(x[r * d + j]!));
    const m = 127 / Math.max(absmax, 1e-5);
    multiplier[r] = m;
    for (let j = 0; j < d; j++) {
      const y = x[r * d + j]! * m;
      q[r * d + j] = Math.max(-128, Math.min(127, roundHalfEven(y)));
      ambiguous[r * d + j] = Math.abs(y - Math.floor(y) - 0.5) < 1e-3 ? 1 : 0;
    }
  }
  return { q, multiplier, ambiguous };
}

/** RMSNorm over rows of length d: x / √(mean(x²) + ε) · g. */
export function referenceRmsNorm(
  x: ArrayLike<number>,
  d: number,
  gain: ArrayLike<number> | undefined,
  epsilon: number,
): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let ms = 0;
    for (let j = 0; j < d; j++) ms += x[r * d + j]! ** 2;
    const inv = 1 / Math.sqrt(ms / d + epsilon);
    for (let j = 0; j < d; j++) out[r * d + j] = x[r * d + j]! * inv * (gain ? gain[j]! : 1);
  }
  return out;
}
