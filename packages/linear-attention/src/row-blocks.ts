import * as tf from '@tensorflow/tfjs-core';

/*
 * Moving rows on tfjs-wasm (measured on this project's bench machine): `slice`, `split` and `unstack` read the
 * whole input back from the wasm heap once per piece, so cutting an N-row tensor into N/c pieces costs
 * O(N²/c); `gather` runs in C++ but at ~60 ns per element, and its gradient needs `UnsortedSegmentSum`, which
 * the wasm backend does not register. These helpers avoid all three. Internal to the package.
 */

/** Row blocks of a 2-D tensor, as they are or transposed. */
export interface RowBlocks {
  /** Rows `[from, from + size)`: `[size, width]`. */
  rows(from: number, size: number): tf.Tensor2D;
  /** The same rows transposed: `[width, size]`. */
  rowsTransposed(from: number, size: number): tf.Tensor2D;
}

/**
 * Serves row blocks of `x` (`[total, width]`). On wasm, `x` is read once (at the first block) and each block is
 * built in JS (transposed when asked) and uploaded, so cutting it into pieces is O(N) in total instead of
 * O(N·pieces); gradients are closed-form (`dy`, or `dy` transposed, padded to the full height). Elsewhere a
 * block is a `tf.slice` (O(block) on cpu and GPU backends).
 *
 * @example
 * ```ts
 * const heads = rowBlocks(tf.reshape(q, [heads * n, d]));
 * const head2 = heads.rows(2 * n, n); // head 2 as [n, d]
 * ```
 */
export function rowBlocks(x: tf.Tensor2D): RowBlocks {
  const [total, width] = x.shape;
  if (tf.getBackend() !== 'wasm') {
    const rows = (from: number, size: number) =>
      from === 0 && size === total ? x : tf.slice(x, [from, 0], [size, width]);
    return { rows, rowsTransposed: (from, size) => tf.transpose(rows(from, size)) };
  }
  let cache: Float32Array | undefined;
  const block =
    (build: (data: Float32Array, from: number, size: number) => tf.Tensor2D, transposeGrad: boolean) =>
    (from: number, size: number): tf.Tensor2D => {
      cache ??= x.dataSync() as Float32Array;
      const data = cache;
      const op = tf.customGrad((_input) => ({
        value: build(data, from, size),
        gradFunc: (dy) =>
          tf.tidy(() =>
            tf.pad(transposeGrad ? tf.transpose(dy) : dy, [
              [from, total - from - size],
              [0, 0],
            ]),
          ),
      }));
      return op(x) as tf.Tensor2D;
    };
  return {
    rows: block(
      (data, from, size) => tf.tensor2d(data.subarray(from * width, (from + size) * width), [size, width]),
      false,
    ),
    rowsTransposed: block((data, from, size) => {
      // Contiguous writes, strided reads (measured faster than the other loop order).
      const out = new Float32Array(width * size);
      for (let j = 0; j < width; j++) {
        const row = j * size;
        for (let i = 0, at = from * width + j; i < size; i++, at += width) out[row + i] = data[at]!;
      }
      return tf.tensor2d(out, [width, size]);
    }, true),
  };
}

/**
 * `out[i] = x[perm[i]]` for a permutation `perm` of the rows of a 2-D tensor (gather forward; the gradient is
 * the inverse permutation of `dy`, so no `UnsortedSegmentSum` is needed).
 *
 * @example
 * ```ts
 * const sorted = permuteRows(rows, Int32Array.from([2, 0, 1])); // rows 2, 0, 1
 * ```
 */
export function permuteRows(x: tf.Tensor2D, perm: Int32Array): tf.Tensor2D {
  const inverse = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) inverse[perm[i]!] = i;
  const permute = tf.customGrad((input) => ({
    value: tf.tidy(() => tf.gather(input as tf.Tensor2D, tf.tensor1d(perm, 'int32'))),
    gradFunc: (dy) => tf.tidy(() => tf.gather(dy, tf.tensor1d(inverse, 'int32'))),
  }));
  return permute(x) as tf.Tensor2D;
}
