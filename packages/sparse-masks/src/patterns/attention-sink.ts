import { assertKnownOptions, assertNumber, defineOptions, paper } from '@efficient-attention/core';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL, classifyBand } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';

/** Options of {@link attentionSink}. */
export interface AttentionSinkOptions {
  /** Number of initial "sink" tokens every query keeps (an integer ≥ 0). StreamingLLM uses 4. */
  sinks: number;
  /** Recent keys kept before the query: a causal window, `kv ≥ q − window` (an integer ≥ 0). */
  window: number;
}

const FN = 'attentionSink';

/**
 * Attention sinks (StreamingLLM): causal attention to the first `sinks` tokens plus a causal window of the
 * `window` most recent keys. Query `q` may attend key `kv` when `kv ≤ q` and (`kv < sinks` or
 * `kv ≥ q − window`).
 *
 * ```
 * attentionSink({ sinks: 1, window: 1 })
 * q0 █·····
 * q1 ██····
 * q2 ███···
 * q3 █·██··
 * q4 █··██·
 * ```
 *
 * Xiao et al. 2023, https://arxiv.org/abs/2309.17453.
 *
 * @example
 * ```ts
 * const streaming = attentionSink({ sinks: 4, window: 1020 });
 * ```
 */
export function attentionSink(options: AttentionSinkOptions): MaskPattern {
  assertKnownOptions(FN, options, ['sinks', 'window']);
  const sinks = options?.sinks;
  const window = options?.window;
  assertNumber(FN, 'options.sinks', sinks, { integer: true, min: 0 });
  assertNumber(FN, 'options.window', window, { integer: true, min: 0 });
  return definePattern((_b, _h, q, kv) => kv <= q && (kv < sinks || kv >= q - window), {
    description: `attentionSink(sinks=${sinks}, window=${window})`,
    batchInvariant: true,
    headInvariant: true,
    blocks: {
      classify: (_b, _h, q0, q1, grid, states) => {
        classifyBand(q0, q1, grid, -window, 0, states);
        const causalStates = new Uint8Array(grid.count);
        classifyBand(q0, q1, grid, Number.NEGATIVE_INFINITY, 0, causalStates);
        for (let j = 0; j < grid.count; j++) {
          const k0 = grid.start + j * grid.size;
          const k1 = Math.min(grid.end, k0 + grid.size);
          const sink = k1 <= sinks ? BLOCK_FULL : k0 < sinks ? BLOCK_PARTIAL : BLOCK_NONE;
          states[j] = Math.max(states[j]!, Math.min(sink, causalStates[j]!));
        }
      },
      fillBits: (_b, _h, slab) => {
        for (let q = slab.q0; q < slab.q1; q++) {
          slab.setRange(q, slab.kv0, Math.min(sinks, q + 1));
          slab.setRange(q, q - window, q + 1);
        }
      },
    },
  });
}

/**
 * Registry entry for {@link attentionSink}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'attention-sink', sinks: 4, window: 256 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const attentionSinkPattern: MaskPatternDefinition = {
  name: 'attention-sink',
  title: 'Attention sinks (StreamingLLM)',
  description: 'StreamingLLM: the first `sinks` tokens plus a causal window.',
  paper: paper(
    'Efficient Streaming Language Models with Attention Sinks',
    'Xiao, Tian, Chen, Han, Lewis',
    2024,
    'https://arxiv.org/abs/2309.17453',
    'ICLR',
  ),
  options: defineOptions({
    sinks: {
      type: 'number',
      integer: true,
      min: 0,
      description: 'Initial "sink" tokens every query keeps (StreamingLLM uses 4).',
    },
    window: {
      type: 'number',
      integer: true,
      min: 0,
      description: 'Recent keys kept before the query: kv ≥ q − window.',
    },
  }),
  create: (p: AttentionSinkOptions & PatternParameters) => attentionSink(p),
};
