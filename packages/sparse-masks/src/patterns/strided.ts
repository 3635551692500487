import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  InvalidArgumentError,
} from '@efficient-attention/core';
import type { BitSink } from '../bit-sink.js';
import { BLOCK_NONE, BLOCK_PARTIAL, classifyBand } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';
import { sparseTransformer2019 } from '../papers.js';

/** Options of {@link strided}. */
export interface StridedOptions {
  /** The stride `l` (an integer ≥ 1); about √N in the paper. */
  stride: number;
  /** Only keys at or before the query (the paper's autoregressive form). Default true. */
  causal?: boolean;
}

const FN = 'strided';

/**
 * The "strided" pattern of the Sparse Transformer, its two heads merged: query `q` attends key `kv` when
 * `|q − kv| < stride` (the previous `stride` positions) or `(q − kv) mod stride = 0` (every `stride`-th
 * position), with `kv ≤ q` when `causal` (the default). Each row attends about `stride + N / stride` keys.
 *
 * ```
 * strided({ stride: 2 })
 * q0 █·····
 * q1 ██····
 * q2 ███···
 * q3 ·███··
 * q4 █·███·     (q − kv ∈ {0, 1} or even)
 * ```
 *
 * Child et al. 2019, https://arxiv.org/abs/1904.10509 (§4.2, A⁽¹⁾ ∪ A⁽²⁾).
 *
 * @example
 * ```ts
 * const pattern = strided({ stride: 128 }); // for N = 16384: 128 local + 128 strided keys per row
 * ```
 */
export function strided(options: StridedOptions): MaskPattern {
  assertKnownOptions(FN, options, ['stride', 'causal']);
  const stride = options?.stride;
  const isCausal = options?.causal ?? true;
  assertNumber(FN, 'options.stride', stride, { integer: true, min: 1 });
  if (typeof isCausal !== 'boolean')
    throw new InvalidArgumentError(FN, 'options.causal', 'a boolean', isCausal);
  const hiLocal = isCausal ? 0 : stride - 1;
  /** The local run, then every `stride`-th key of the slab's span (O(rows · (1 + span / stride))). */
  const fill = (sink: BitSink) => {
    for (let q = sink.q0; q < sink.q1; q++) {
      sink.setRange(q, q - stride + 1, q + hiLocal + 1);
      const limit = isCausal ? Math.min(q + 1, sink.kv1) : sink.kv1;
      const first = sink.kv0 + ((((q - sink.kv0) % stride) + stride) % stride);
      sink.setEvery(q, first, stride, limit);
    }
  };
  return definePattern(
    (_b, _h, q, kv) => {
      const delta = q - kv;
      if (isCausal && delta < 0) return false;
      return Math.abs(delta) < stride || delta % stride === 0;
    },
    {
      description: `strided(stride=${stride}${isCausal ? '' : ', causal=false'})`,
      batchInvariant: true,
      headInvariant: true,
      blocks: {
        classify: (_b, _h, q0, q1, grid, states) => {
          classifyBand(q0, q1, grid, -(stride - 1), hiLocal, states);
          for (let j = 0; j < grid.count; j++) {
            if (states[j] !== BLOCK_NONE) continue;
            // Does the block hold some kv − q ≡ 0 (mod stride), at or before the diagonal when causal?
            const k0 = grid.start + j * grid.size;
            const k1 = Math.min(grid.end, k0 + grid.size);
            const lo = k0 - (q1 - 1);
            const hi = isCausal ? Math.min(0, k1 - 1 - q0) : k1 - 1 - q0;
            if (lo <= hi && Math.floor(hi / stride) * stride >= lo) states[j] = BLOCK_PARTIAL;
          }
        },
        // The slab path, measured a little faster here than the in-place writer (`writeBits`): one key per
        // row and block makes the writer's per-block bookkeeping cost more than the slab copy it saves.
        fillBits: (_b, _h, slab) => fill(slab),
      },
    },
  );
}

/**
 * Registry entry for {@link strided}, so that configs can name it.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'strided', stride: 32 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const stridedPattern: MaskPatternDefinition = {
  name: 'strided',
  title: 'Strided (Sparse Transformer)',
  description: 'Sparse Transformer strided: the previous `stride` keys and every `stride`-th key.',
  paper: sparseTransformer2019,
  options: defineOptions({
    stride: { type: 'number', integer: true, min: 1, description: 'The stride l (about √N in the paper).' },
    causal: {
      type: 'boolean',
      default: true,
      description: 'Only keys at or before the query (the paper’s autoregressive form).',
    },
  }),
  create: (p: StridedOptions & PatternParameters) => strided(p),
};
