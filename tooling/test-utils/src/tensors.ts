import * as tf from '@tensorflow/tfjs-core';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { expect } from 'vitest';

/** A float32 tensor and the same values widened to float64, for references computed in double precision. */
export interface SeededTensor {
  tensor: tf.Tensor;
  /** The tensor's values (already rounded to float32) as float64, row-major. */
  data: Float64Array;
  shape: number[];
}

/** Standard-normal values from a seed (xoroshiro128+ and Box–Muller), rounded to float32. */
export function seededNormalValues(size: number, seed: number, std = 1): Float32Array {
  const rng = xoroshiro128plus(seed);
  const out = new Float32Array(size);
  const u = () => 1 - uniformFloat64(rng); // (0, 1]: log never sees 0
  for (let i = 0; i < size; i++) {
    out[i] = std * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  }
  return out;
}

/** A seeded float32 tensor plus its float64 copy. */
export function seededTensor(shape: number[], seed: number, std = 1): SeededTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = seededNormalValues(size, seed, std);
  return { tensor: tf.tensor(values, shape, 'float32'), data: Float64Array.from(values), shape };
}

/** Default tolerances by the backend's float precision: |a − e| ≤ atol + rtol·|e|. */
export function defaultTolerance(): { atol: number; rtol: number } {
  return tf.backend().floatPrecision() === 32 ? { atol: 1e-5, rtol: 1e-4 } : { atol: 1e-2, rtol: 1e-2 };
}

/**
 * Asserts that `actual` is within `atol + rtol·|expected|` of `expected` elementwise (shapes must match when
 * both are tensors). Reports the worst element's index and values on failure.
 */
export function expectTensorsClose(
  actual: tf.Tensor | ArrayLike<number>,
  expected: tf.Tensor | ArrayLike<number>,
  tolerance: { atol?: number; rtol?: number } = {},
): void {
  const { atol, rtol } = { ...defaultTolerance(), ...tolerance };
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor) {
    expect(actual.shape, 'shapes differ').toEqual(expected.shape);
  }
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  const e = expected instanceof tf.Tensor ? expected.dataSync() : expected;
  expect(a.length, 'element counts differ').toBe(e.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(Number(a[i]) - Number(e[i]));
    const excess = diff - (atol + rtol * Math.abs(Number(e[i])));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(diff))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `element ${worst}: actual ${a[worst]}, expected ${e[worst]} (atol ${atol}, rtol ${rtol}); ` +
        `${a.length} elements compared`,
    );
  }
}

/**
 * Runs `fn` and asserts it leaves `tf.memory().numTensors` unchanged once its result is disposed.
 * Returns whatever `fn` returned (already disposed if it was a tensor container).
 */
export function expectNoLeaks<T extends tf.TensorContainer>(fn: () => T): void {
  const before = tf.memory().numTensors;
  const result = fn();
  tf.dispose(result);
  const after = tf.memory().numTensors;
  expect(after - before, `${after - before} tensor(s) leaked`).toBe(0);
}

/** Relative Frobenius error ‖a − b‖ / ‖b‖. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Number(a[i]) - Number(b[i]);
    num += d * d;
    den += Number(b[i]) * Number(b[i]);
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}
