import { assertKnownOptions, assertNumber, InvalidArgumentError } from '@efficient-attention/core';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL, classifyBand } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';

/** Options of {@link fixed}. */
export interface FixedOptions {
  /** Length `l` of the fixed blocks (an integer ≥ 1). */
  stride: number;
  /** Summary positions `c` at the end of every block that all later queries attend (1 ≤ c ≤ stride). Default 1. */
  summary?: number;
  /** Only keys at or before the query (the paper's autoregressive form). Default true. */
  causal?: boolean;
}

const FN = 'fixed';

/**
 * The "fixed" pattern of the Sparse Transformer, its two heads merged: query `q` attends key `kv` when
 * both lie in the same block of `stride` positions (`⌊q / l⌋ = ⌊kv / l⌋`) or `kv` is one of the last
 * `summary` positions of its block (`kv mod l ≥ l − c`), with `kv ≤ q` when `causal` (the default).
 *
 * ```
 * fixed({ stride: 3, summary: 1 })
 * q0 █·····
 * q1 ██····
 * q2 ███···
 * q3 ··██··
 * q4 ··███·
 * q5 ··████     (same block, or kv ≡ 2 mod 3)
 * ```
 *
 * Child et al. 2019, https://arxiv.org/abs/1904.10509 (§4.2, fixed attention).
 *
 * @example
 * ```ts
 * const pattern = fixed({ stride: 128, summary: 8 });
 * ```
 */
export function fixed(options: FixedOptions): MaskPattern {
  assertKnownOptions(FN, options, ['stride', 'summary', 'causal']);
  const l = options?.stride;
  assertNumber(FN, 'options.stride', l, { integer: true, min: 1 });
  const c = options.summary ?? 1;
  assertNumber(FN, 'options.summary', c, { integer: true, min: 1, max: l });
  const isCausal = options.causal ?? true;
  if (typeof isCausal !== 'boolean')
    throw new InvalidArgumentError(FN, 'options.causal', 'a boolean', isCausal);
  const blockOf = (x: number) => Math.floor(x / l);
  const isSummary = (kv: number) => ((kv % l) + l) % l >= l - c;
  return definePattern(
    (_b, _h, q, kv) => (!isCausal || kv <= q) && (blockOf(q) === blockOf(kv) || isSummary(kv)),
    {
      description: `fixed(stride=${l}, summary=${c}${isCausal ? '' : ', causal=false'})`,
      batchInvariant: true,
      headInvariant: true,
      blocks: {
        classify: (_b, _h, q0, q1, grid, states) => {
          // Start from the causal band (or everything), then keep what the two parts can reach.
          classifyBand(
            q0,
            q1,
            grid,
            Number.NEGATIVE_INFINITY,
            isCausal ? 0 : Number.POSITIVE_INFINITY,
            states,
          );
          const a0 = blockOf(q0);
          const a1 = blockOf(q1 - 1);
          for (let j = 0; j < grid.count; j++) {
            const band = states[j]!;
            if (band === BLOCK_NONE) continue;
            const k0 = grid.start + j * grid.size;
            const k1 = Math.min(grid.end, k0 + grid.size);
            const c0 = blockOf(k0);
            const c1 = blockOf(k1 - 1);
            const local =
              c1 < a0 || c0 > a1 ? BLOCK_NONE : a0 === a1 && c0 === c1 && a0 === c0 ? band : BLOCK_PARTIAL;
            // A summary column inside the block: the first kv ≥ k0 with kv mod l ≥ l − c.
            const offset = ((k0 % l) + l) % l;
            const firstSummary = offset >= l - c ? k0 : k0 + (l - c - offset);
            const summaryCol = firstSummary < k1 ? BLOCK_PARTIAL : BLOCK_NONE;
            states[j] = local === BLOCK_FULL ? BLOCK_FULL : Math.max(local, summaryCol);
          }
        },
        fillBits: (_b, _h, slab) => {
          for (let q = slab.q0; q < slab.q1; q++) {
            const limit = isCausal ? q + 1 : slab.kv1;
            const start = blockOf(q) * l;
            slab.setRange(q, start, Math.min(start + l, limit));
            for (let s = blockOf(slab.kv0) * l; s < Math.min(limit, slab.kv1); s += l) {
              slab.setRange(q, s + l - c, Math.min(s + l, limit));
            }
          }
        },
      },
    },
  );
}
