import * as tf from '@tensorflow/tfjs-core';

/** Row blocks of a 2-D tensor: plain, transposed, and with a column of ones appended. */
export interface RowBlocks {
  /** Rows `[from, from + size)`: `[size, width]`. */
  rows(from: number, size: number): tf.Tensor2D;
  /** The same rows transposed: `[width, size]`. */
  rowsTransposed(from: number, size: number): tf.Tensor2D;
  /** The same rows with a column of ones appended: `[size, width + 1]`. */
  rowsWithOnes(from: number, size: number): tf.Tensor2D;
}

/**
 * Serves row blocks `[from, from + size)` of `x` (`[total, width]`). On tfjs-wasm `slice` reads the whole input
 * back once per call (O(N²/chunk) for a chunked scan) and `gather` costs ~60 ns per element with a gradient
 * (`UnsortedSegmentSum`) the backend lacks; there, `x` is read once and each block is built in JS (transposed
 * or with ones when asked) and uploaded, O(N) in total, with closed-form gradients (a pad of `dy`, transposed
 * or without the ones column). Elsewhere blocks are `slice`, `transpose`, `concat`.
 *
 * @example
 * ```ts
 * const perHead = rowBlocks(tf.reshape(q, [heads * n, d]));
 * const head2 = perHead.rows(2 * n, n); // head 2 as [n, d], without re-reading q per head on wasm
 * ```
 */
export function rowBlocks(x: tf.Tensor2D): RowBlocks {
  const [total, width] = x.shape;
  const pad = (dy: tf.Tensor, from: number, size: number) =>
    tf.pad(dy, [
      [from, total - from - size],
      [0, 0],
    ]);
  if (tf.getBackend() !== 'wasm') {
    const rows = (from: number, size: number) =>
      from === 0 && size === total ? x : tf.slice(x, [from, 0], [size, width]);
    return {
      rows,
      rowsTransposed: (from, size) => tf.transpose(rows(from, size)),
      rowsWithOnes: (from, size) => tf.concat([rows(from, size), tf.ones([size, 1])], 1),
    };
  }
  let cache: Float32Array | undefined;
  const values = () => {
    cache ??= x.dataSync() as Float32Array;
    return cache;
  };
  const block = (
    build: (data: Float32Array, from: number, size: number) => tf.Tensor2D,
    grad: (dy: tf.Tensor, size: number) => tf.Tensor,
  ) => {
    return (from: number, size: number): tf.Tensor2D => {
      const data = values();
      const op = tf.customGrad((_input) => ({
        value: build(data, from, size),
        gradFunc: (dy) => tf.tidy(() => pad(grad(dy, size), from, size)),
      }));
      return op(x) as tf.Tensor2D;
    };
  };
  return {
    rows: block(
      (data, from, size) => tf.tensor2d(data.subarray(from * width, (from + size) * width), [size, width]),
      (dy) => dy,
    ),
    rowsTransposed: block(
      (data, from, size) => {
        const out = new Float32Array(width * size);
        for (let j = 0; j < width; j++) {
          const row = j * size;
          for (let i = 0, at = from * width + j; i < size; i++, at += width) out[row + i] = data[at]!;
        }
        return tf.tensor2d(out, [width, size]);
      },
      (dy) => tf.transpose(dy),
    ),
    rowsWithOnes: block(
      (data, from, size) => {
        const out = new Float32Array(size * (width + 1)).fill(1);
        for (let i = 0; i < size; i++) {
          out.set(data.subarray((from + i) * width, (from + i + 1) * width), i * (width + 1));
        }
        return tf.tensor2d(out, [size, width + 1]);
      },
      (dy, size) => tf.slice(dy, [0, 0], [size, width]),
    ),
  };
}
