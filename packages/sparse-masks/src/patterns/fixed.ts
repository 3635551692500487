import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  InvalidArgumentError,
} from '@efficient-attention/core';
import type { BitSink } from '../bit-sink.js';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL, classifyBand } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';
import { sparseTransformer2019 } from '../papers.js';

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
  /**
   * The query's own block per row; summary runs that end at or before the sink's first query (causal), or
   * all of them (not causal), are allowed for every row alike: one rectangle each instead of a call per row.
   */
  const fill = (sink: BitSink) => {
    const q0 = sink.q0;
    const q1 = sink.q1;
    const kvEnd = sink.kv1;
    let s = blockOf(sink.kv0) * l;
    // Runs [s + l − c, s + l) whose last key s + l − 1 is ≤ q0 (causal) are allowed for every row.
    const shared = isCausal ? Math.min(q0 + 1, kvEnd) : kvEnd;
    for (; s + l <= shared; s += l) sink.setRows(q0, q1, s + l - c, s + l);
    const firstPerRow = s;
    for (let q = q0; q < q1; q++) {
      const limit = isCausal ? q + 1 : kvEnd;
      const start = blockOf(q) * l;
      sink.setRange(q, start, Math.min(start + l, limit));
      for (let t = firstPerRow; t < Math.min(limit, kvEnd); t += l) {
        sink.setRange(q, t + l - c, Math.min(t + l, limit));
      }
    }
  };
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
        // Only `setRange`: the same filler serves slabs (combinators) and the in-place writer.
        fillBits: (_b, _h, slab) => fill(slab),
        writeBits: (_b, _h, sink) => fill(sink),
      },
    },
  );
}

/**
 * Registry entry for {@link fixed}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'fixed', stride: 32, summary: 4 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const fixedPattern: MaskPatternDefinition = {
  name: 'fixed',
  title: 'Fixed (Sparse Transformer)',
  description: 'Sparse Transformer fixed: the own block of `stride` keys and each block’s summary keys.',
  paper: sparseTransformer2019,
  options: defineOptions({
    stride: { type: 'number', integer: true, min: 1, description: 'Length l of the fixed blocks.' },
    summary: {
      type: 'number',
      integer: true,
      min: 1,
      default: 1,
      description: 'Summary positions c at the end of every block that later queries attend (≤ stride).',
    },
    causal: {
      type: 'boolean',
      default: true,
      description: 'Only keys at or before the query (the paper’s autoregressive form).',
    },
  }),
  create: (p: FixedOptions & PatternParameters) => fixed(p),
};
