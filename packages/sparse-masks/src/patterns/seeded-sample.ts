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
      for (let i = 0; i < size; i++) if (chosen[i] === t) taken = true;
    }
    const pick = taken ? j : t;
    chosen[size++] = pick;
    set?.add(pick);
  }
  return chosen.sort();
}
