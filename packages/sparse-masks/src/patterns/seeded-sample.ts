import { hashSeed } from '@efficient-attention/core';

/**
 * `k` distinct integers from `[0, n)`, ascending, as a pure function of `(seed, h, row)`: Floyd's algorithm
 * (Bentley & Floyd 1987) whose draw for `j = n − k … n − 1` is `t = ⌊u · (j + 1)⌋` with
 * `u = (hashSeed(seed, h, row, j) >>> 0) / 2³²` — integer hashing and one IEEE multiply, so the same on
 * every platform, and no generator state to create per row.
 *
 * @example
 * ```ts
 * seededSample(1024, 3, 7, 0, 42); // Int32Array [327, 617, 881]: three distinct keys for row 42 of head 0
 * ```
 */
export function seededSample(n: number, k: number, seed: number, h: number, row: number): Int32Array {
  const chosen = new Int32Array(k);
  seededSampleInto(chosen, 0, n, k, seed, h, row);
  return chosen;
}

/**
 * {@link seededSample} written into `out[at … at + k)`: random patterns keep every drawn row in one
 * `Int32Array` (no array object per row), and small samples are sorted in place by insertion (a typed-array
 * `sort` call costs more than sorting a handful of keys).
 *
 * @example
 * ```ts
 * const rows = new Int32Array(2 * 3);
 * seededSampleInto(rows, 3, 1024, 3, 7, 0, 42); // rows.subarray(3) is seededSample(1024, 3, 7, 0, 42)
 * ```
 */
export function seededSampleInto(
  out: Int32Array,
  at: number,
  n: number,
  k: number,
  seed: number,
  h: number,
  row: number,
): void {
  // Small samples: linear membership tests beat a Set.
  const set = k > 32 ? new Set<number>() : undefined;
  let size = 0;
  for (let j = n - k; j < n; j++) {
    const u = (hashSeed(seed, h, row, j) >>> 0) / 4294967296;
    const t = Math.floor(u * (j + 1));
    let taken: boolean;
    if (set !== undefined) taken = set.has(t);
    else {
      taken = false;
      for (let i = at; i < at + size; i++) if (out[i] === t) taken = true;
    }
    const pick = taken ? j : t;
    if (set !== undefined) {
      out[at + size++] = pick;
      set.add(pick);
      continue;
    }
    // Insertion keeps the sample sorted (the picks are distinct).
    let i = at + size++;
    while (i > at && out[i - 1]! > pick) {
      out[i] = out[i - 1]!;
      i--;
    }
    out[i] = pick;
  }
  if (set !== undefined) out.subarray(at, at + k).sort();
}
