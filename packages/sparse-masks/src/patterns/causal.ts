import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  IncompatibleOptionsError,
  InvalidArgumentError,
} from '@efficient-attention/core';
import { classifyBand } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition } from '../mask-pattern-definition.js';
import { vaswani2017 } from '../papers.js';

/** Options of {@link causal}. */
export interface CausalOptions {
  /** Query length, for bottom-right alignment when it differs from `kvLen`. Give both or neither. */
  qLen?: number;
  /** Key length, for bottom-right alignment when it differs from `qLen`. Give both or neither. */
  kvLen?: number;
}

const FN = 'causal';

/**
 * Causal (autoregressive) masking: query `q` may attend key `kv` when `kv ≤ q + (kvLen − qLen)` — bottom-right
 * aligned, the KV-cache convention of FlashAttention ≥ 2.1 and of core's `causal: true`: the last query sees
 * every key. `causal({ qLen, kvLen })` is tied to its lengths, and building it for others throws. Without
 * lengths the shift is 0 (self-attention: `kv ≤ q`), and building it for `qLen ≠ kvLen` throws (it would be
 * top-left aligned) naming `causal({ qLen, kvLen })`. (Core's attention functions evaluate a `MaskMod`
 * directly and do not run this check: for cross-attention there, pass `causal: true` or the lengths.)
 *
 * ```
 * causal()            causal({ qLen: 2, kvLen: 4 })
 * q0 █···             q0 ███·
 * q1 ██··             q1 ████
 * q2 ███·
 * q3 ████
 * ```
 *
 * Vaswani et al. 2017, https://arxiv.org/abs/1706.03762.
 *
 * @example
 * ```ts
 * const mask = createBlockMask(causal(), 1024, 1024, { blockSize: 128 }); // 36 of 64 blocks visited
 * ```
 */
export function causal(options: CausalOptions = {}): MaskPattern {
  assertKnownOptions(FN, options, ['qLen', 'kvLen']);
  const { qLen, kvLen } = options;
  if ((qLen === undefined) !== (kvLen === undefined)) {
    throw new IncompatibleOptionsError(
      FN,
      'give both `qLen` and `kvLen` (for bottom-right alignment), or neither.',
    );
  }
  if (qLen !== undefined) assertNumber(FN, 'options.qLen', qLen, { integer: true, min: 1 });
  if (kvLen !== undefined) assertNumber(FN, 'options.kvLen', kvLen, { integer: true, min: 1 });
  const shift = (kvLen ?? 0) - (qLen ?? 0);
  return definePattern((_b, _h, q, kv) => kv <= q + shift, {
    description: qLen === undefined ? 'causal()' : `causal(qLen=${qLen}, kvLen=${kvLen})`,
    batchInvariant: true,
    headInvariant: true,
    blocks: {
      classify: (_b, _h, q0, q1, grid, states) =>
        classifyBand(q0, q1, grid, Number.NEGATIVE_INFINITY, shift, states),
      fillBits: (_b, _h, slab) => {
        for (let q = slab.q0; q < slab.q1; q++) slab.setRange(q, slab.kv0, q + shift + 1);
      },
    },
    ...(qLen === undefined
      ? {
          // kv ≤ q is the top-left alignment when the lengths differ: refuse rather than disagree with core.
          checkLengths: (fn: string, n: number, m: number) => {
            if (n !== m) {
              throw new InvalidArgumentError(
                fn,
                'maskMod',
                'used with qLen = kvLen (causal() without lengths is self-attention, kv ≤ q)',
                `qLen ${n}, kvLen ${m}`,
                `Build causal({ qLen: ${n}, kvLen: ${m} }) for the bottom-right alignment (query i sees ` +
                  'kv ≤ i + kvLen − qLen) that core’s `causal: true` uses, or pass `causal: true` instead.',
              );
            }
          },
        }
      : {
          checkLengths: (fn: string, n: number, m: number) => {
            if (n !== qLen || m !== kvLen) {
              throw new InvalidArgumentError(
                fn,
                'maskMod',
                `used with the lengths it was built for (qLen ${qLen}, kvLen ${kvLen})`,
                `qLen ${n}, kvLen ${m}`,
                'Build a new causal({ qLen, kvLen }) for these lengths.',
              );
            }
          },
        }),
  });
}

/**
 * Registry entry for {@link causal}: `{ pattern: 'causal' }`, built for the call's lengths (bottom-right
 * aligned when they differ).
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'causal' }, { seed: 0, qLen: 1, kvLen: 1024, blockSize: 64 }); // the last row
 * ```
 */
export const causalPattern: MaskPatternDefinition = {
  name: 'causal',
  title: 'Causal',
  description: 'Causal masking, bottom-right aligned when the lengths differ.',
  paper: vaswani2017,
  options: defineOptions({}),
  create: (_p, c) => causal({ qLen: c.qLen, kvLen: c.kvLen }),
};
