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

/** Options of {@link rowBlocks}. */
export interface RowBlocksOptions {
  /**
   * How rows leave tfjs-wasm's heap: `'auto'` views the heap where the backend exposes it, else copies ranges;
   * `'pages'` always copies ranges in pages (the fallback, selectable so that it stays tested). Default `'auto'`.
   */
  read?: 'auto' | 'pages';
}

/** Floats per read of the source on wasm (1 MB): small enough that the allocator reuses the buffers. */
const PAGE_FLOATS = 2 ** 18;

/** The parts of tfjs-wasm's backend (4.x) that locate a tensor in the wasm heap. */
interface WasmHeapBackend {
  readSync(dataId: object, start?: number, end?: number): unknown;
  dataIdMap?: { get(dataId: object): { memoryOffset?: number | null } | undefined };
  wasm?: { HEAPF32?: Float32Array };
}

/**
 * Views of elements `[start, end)` of `x` straight into tfjs-wasm's heap (no copy, no allocation). The heap's
 * buffer is replaced when it grows, so a view is valid only until the next tensor allocation: callers copy
 * out of it at once. Undefined when the backend does not expose its heap as in tfjs-wasm 4.x (checked
 * against a ranged `readSync` of the first elements), so callers fall back to copies.
 */
function heapReader(x: tf.Tensor): ((start: number, end: number) => Float32Array) | undefined {
  const backend = tf.backend() as unknown as WasmHeapBackend;
  const offset = backend.dataIdMap?.get(x.dataId)?.memoryOffset;
  if (x.dtype !== 'float32' || typeof offset !== 'number' || offset % 4 !== 0) return undefined;
  const view = (start: number, end: number): Float32Array | undefined => {
    const heap = backend.wasm?.HEAPF32;
    return heap instanceof Float32Array ? heap.subarray(offset / 4 + start, offset / 4 + end) : undefined;
  };
  try {
    const probeLength = Math.min(4, x.size);
    const probe = view(0, probeLength);
    const expected = backend.readSync(x.dataId, 0, probeLength);
    if (!(probe instanceof Float32Array) || !(expected instanceof Float32Array)) return undefined;
    if (expected.length !== probeLength || probe.some((value, i) => !Object.is(value, expected[i])))
      return undefined;
  } catch {
    return undefined;
  }
  return (start, end) => view(start, end)!;
}

/**
 * Reads elements `[start, end)` of `x` on tfjs-wasm without copying the rest: the wasm backend's
 * `readSync(dataId, start, end)` copies just that range out of its heap. Undefined when the backend does not
 * honour the range (or does not hold `x`), so callers fall back to `dataSync`.
 */
function rangedReader(x: tf.Tensor): ((start: number, end: number) => Float32Array) | undefined {
  const backend = tf.backend() as unknown as WasmHeapBackend;
  const read = (start: number, end: number) => backend.readSync(x.dataId, start, end);
  try {
    const probe = read(0, 1);
    if (!(probe instanceof Float32Array) || probe.length !== 1 || x.size < 2) return undefined;
  } catch {
    return undefined;
  }
  return (start, end) => read(start, end) as Float32Array;
}

/**
 * Serves row blocks `[from, from + size)` of `x` (`[total, width]`). On tfjs-wasm `slice` reads the whole input
 * back once per call (O(N²/chunk) for a chunked scan) and `gather` costs ~60 ns per element with a gradient
 * (`UnsortedSegmentSum`) the backend lacks; there, each row of `x` is read from the wasm heap once, in pages
 * of ≤ 1 MB (or exactly the block, when larger), and each block is built in JS (transposed or with ones when
 * asked) and uploaded, O(N) in total, with closed-form gradients (a pad of `dy`, transposed or without the
 * ones column). Elsewhere blocks are `slice`, `transpose`, `concat`.
 *
 * Rows are read through views of the wasm heap (no copy) when the backend exposes it as tfjs-wasm 4.x does,
 * else by ranged `readSync` in pages. Why not one `dataSync`: a whole-tensor copy of a long sequence (33 MB
 * for 8 heads × 16384 × 64) is a fresh allocation every call, and its page faults made time grow faster than
 * N (measured on wasm: 3 such reads cost 19–30 ms at N = 4096 but 105 ms at N = 16384).
 *
 * @example
 * ```ts
 * const perHead = rowBlocks(tf.reshape(q, [heads * n, d]));
 * const head2 = perHead.rows(2 * n, n); // head 2 as [n, d], without re-reading q per head on wasm
 * ```
 */
export function rowBlocks(x: tf.Tensor2D, options: RowBlocksOptions = {}): RowBlocks {
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
  const heap = options.read === 'pages' ? undefined : heapReader(x);
  const ranged = heap === undefined ? rangedReader(x) : undefined;
  let whole: Float32Array | undefined;
  const pageRows = Math.max(1, Math.floor(PAGE_FLOATS / Math.max(1, width)));
  let page: Float32Array | undefined;
  let pageFrom = 0;
  let pageSize = 0;
  /** Rows `[from, from + size)`, row-major, as a view to copy from at once (the page may be replaced). */
  const values = (from: number, size: number): Float32Array => {
    if (heap !== undefined) return heap(from * width, (from + size) * width);
    if (ranged === undefined) {
      whole ??= x.dataSync() as Float32Array;
      return whole.subarray(from * width, (from + size) * width);
    }
    if (page === undefined || from < pageFrom || from + size > pageFrom + pageSize) {
      if (size >= pageRows) return ranged(from * width, (from + size) * width);
      pageFrom = from;
      pageSize = Math.min(pageRows, total - from);
      page = ranged(from * width, (from + pageSize) * width);
    }
    return page.subarray((from - pageFrom) * width, (from - pageFrom + size) * width);
  };
  const block = (
    build: (data: Float32Array, size: number) => tf.Tensor2D,
    grad: (dy: tf.Tensor, size: number) => tf.Tensor,
  ) => {
    return (from: number, size: number): tf.Tensor2D => {
      const op = tf.customGrad((_input) => ({
        // Read at the last moment: a heap view is valid only until the next allocation.
        value: build(values(from, size), size),
        gradFunc: (dy) => tf.tidy(() => pad(grad(dy, size), from, size)),
      }));
      return op(x) as tf.Tensor2D;
    };
  };
  return {
    rows: block(
      // A heap view must not be handed to tf.tensor: uploading allocates first, which may replace the heap.
      (data, size) => tf.tensor2d(heap === undefined ? data : data.slice(), [size, width]),
      (dy) => dy,
    ),
    rowsTransposed: block(
      (data, size) => {
        // Tiles of 16 rows: the rows read stay in L1 while 16 consecutive floats of each output row are written.
        const out = new Float32Array(width * size);
        for (let i0 = 0; i0 < size; i0 += 16) {
          const i1 = Math.min(size, i0 + 16);
          for (let j = 0; j < width; j++) {
            const row = j * size;
            for (let i = i0, at = i0 * width + j; i < i1; i++, at += width) out[row + i] = data[at]!;
          }
        }
        return tf.tensor2d(out, [width, size]);
      },
      (dy) => tf.transpose(dy),
    ),
    rowsWithOnes: block(
      (data, size) => {
        const out = new Float32Array(size * (width + 1)).fill(1);
        for (let i = 0; i < size; i++) out.set(data.subarray(i * width, (i + 1) * width), i * (width + 1));
        return tf.tensor2d(out, [size, width + 1]);
      },
      (dy, size) => tf.slice(dy, [0, 0], [size, width]),
    ),
  };
}
