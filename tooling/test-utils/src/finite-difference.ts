/**
 * Central finite differences of a scalar function of a float64 vector: the gradient tests compare tfjs
 * autodiff (float32) against this, computed on the float64 reference.
 */
export function finiteDifferenceGradient(
  f: (x: Float64Array) => number,
  x: Float64Array,
  eps = 1e-5,
): Float64Array {
  const grad = new Float64Array(x.length);
  const work = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const xi = work[i]!;
    work[i] = xi + eps;
    const up = f(work);
    work[i] = xi - eps;
    const down = f(work);
    work[i] = xi;
    grad[i] = (up - down) / (2 * eps);
  }
  return grad;
}
