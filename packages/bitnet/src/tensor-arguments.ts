import { assertLiveTensor, InvalidArgumentError } from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * Throws {@link InvalidArgumentError} unless `x` is a float32 `tf.Tensor` of rank ≥ `minRank` with no
 * zero-sized dimension (the shared argument check of this package's ops).
 */
export function assertFloat32Tensor(
  fn: string,
  parameter: string,
  x: unknown,
  { minRank = 1, rank }: { minRank?: number; rank?: number } = {},
): asserts x is tf.Tensor {
  const t = x as { shape?: unknown; dtype?: unknown } | null;
  const expected =
    rank !== undefined ? `a float32 tensor of rank ${rank}` : `a float32 tensor of rank ≥ ${minRank}`;
  if (t === null || typeof t !== 'object' || !Array.isArray(t.shape) || typeof t.dtype !== 'string') {
    throw new InvalidArgumentError(fn, parameter, expected, x);
  }
  assertLiveTensor(fn, parameter, x);
  const shape = t.shape as number[];
  if (rank !== undefined ? shape.length !== rank : shape.length < minRank) {
    throw new InvalidArgumentError(fn, parameter, expected, x);
  }
  if (t.dtype !== 'float32') throw new InvalidArgumentError(fn, `${parameter}.dtype`, '"float32"', t.dtype);
  if (shape.some((s) => s < 1)) {
    throw new InvalidArgumentError(fn, `${parameter}.shape`, 'all dimensions ≥ 1', shape);
  }
}
