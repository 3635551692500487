import { InvalidArgumentError } from '@efficient-attention/core';

/**
 * The `[m, n]` row-major matrix whose product with a sequence `[n, d]` gives the means of m consecutive
 * segments: Nyströmformer's landmarks (Xiong et al. 2021, https://arxiv.org/abs/2102.03902, section 3.3).
 * When m does not divide n, segment s covers positions `[⌊s·n/m⌋, ⌊(s+1)·n/m⌋)`, so sizes differ by at most
 * one and every position belongs to exactly one segment (the paper's code requires m | n; padding would
 * bias the means towards zero).
 *
 * @example
 * ```ts
 * segmentMeanMatrix(5, 2); // rows [1/2, 1/2, 0, 0, 0] and [0, 0, 1/3, 1/3, 1/3]
 * ```
 */
export function segmentMeanMatrix(n: number, m: number): Float32Array {
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('segmentMeanMatrix', 'n', 'an integer ≥ 1', n);
  if (!Number.isInteger(m) || m < 1 || m > n) {
    throw new InvalidArgumentError('segmentMeanMatrix', 'm', `an integer in [1, ${n}]`, m);
  }
  const out = new Float32Array(m * n);
  for (let s = 0; s < m; s++) {
    const from = Math.floor((s * n) / m);
    const to = Math.floor(((s + 1) * n) / m);
    for (let j = from; j < to; j++) out[s * n + j] = 1 / (to - from);
  }
  return out;
}
