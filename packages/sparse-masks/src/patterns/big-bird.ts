import {
  assertKnownOptions,
  assertNumber,
  defineOptions,
  InvalidArgumentError,
} from '@efficient-attention/core';
import { BLOCK_FULL, BLOCK_NONE, BLOCK_PARTIAL } from '../block-enumerator.js';
import { definePattern, type MaskPattern } from '../mask-pattern.js';
import type { MaskPatternDefinition, PatternParameters } from '../mask-pattern-definition.js';
import { bigBird2020 } from '../papers.js';
import { seededSample } from './seeded-sample.js';

/** Options of {@link bigBird}. */
export interface BigBirdOptions {
  /** Sequence length (self-attention: qLen = kvLen = seqLen). */
  seqLen: number;
  /** BigBird's block size `b`; use the same `blockSize` in `createBlockMask` so every block is full or empty. Default 64. */
  blockSize?: number;
  /** Window width in blocks `w` (odd ≥ 1): block `a` sees blocks `a − (w−1)/2 … a + (w−1)/2`. Default 3. */
  windowBlocks?: number;
  /**
   * Number `g` of global blocks: the first ⌈g/2⌉ and the last ⌊g/2⌋ blocks (g = 2: the first and the last,
   * as the paper's ITC and Hugging Face's implementation). They see everything and everything sees them.
   * Default 2.
   */
  globalBlocks?: number;
  /** Random key blocks `r` per (non-global) query block, drawn outside its window and the global blocks. Default 3. */
  randomBlocks?: number;
  /** Seed of the random blocks. Default 0. */
  seed?: number;
  /** Draw random blocks separately for each head. Default false. */
  perHead?: boolean;
}

const FN = 'bigBird';

/**
 * BigBird attention, block-aligned as in the paper's implementation: with blocks of `blockSize` positions,
 * query block `a` attends key block `c` when `a` or `c` is global — the first ⌈g/2⌉ and the last ⌊g/2⌋ of
 * the `B` blocks, so for the default g = 2 the first and the last block, as the paper's ITC construction
 * (§2) and Hugging Face's `BigBirdBlockSparseAttention` place them — when `|a − c| ≤ (w − 1)/2` (window), or
 * when `c` is one of the `r` random blocks of row `a` — distinct blocks drawn uniformly from those
 * outside the window and the global blocks (ascending), a pure function of `(seed, h, a)` (Floyd's algorithm
 * on `hashSeed(seed, h, a, j)`, see `seededSample`). A pair (q, kv) is allowed when its blocks are.
 *
 * ```
 * bigBird({ seqLen: 12, blockSize: 2, windowBlocks: 1, globalBlocks: 1, randomBlocks: 1, seed: 3 })
 * q0  ████████████
 * q1  ████████████
 * q2  ██████······   (global block 0, the diagonal block 1, random block 2)
 * q3  ██████······
 * q4  ██████······   (global block 0, the diagonal block 2, random block 1)
 * q5  ██████······
 * …
 * ```
 *
 * Zaheer et al. 2020, https://arxiv.org/abs/2007.14062 (§2, Fig. 1; block-sparse form in App. D).
 *
 * @example
 * ```ts
 * const pattern = bigBird({ seqLen: 4096, blockSize: 64 }); // w = 3, g = 2, r = 3 blocks
 * const mask = createBlockMask(pattern, 4096, 4096, { blockSize: 64 }); // every visited block is full
 * ```
 */
export function bigBird(options: BigBirdOptions): MaskPattern {
  assertKnownOptions(FN, options, [
    'seqLen',
    'blockSize',
    'windowBlocks',
    'globalBlocks',
    'randomBlocks',
    'seed',
    'perHead',
  ]);
  const o = options ?? ({} as BigBirdOptions);
  const seqLen = o.seqLen;
  assertNumber(FN, 'options.seqLen', seqLen, { integer: true, min: 1 });
  const size = o.blockSize ?? 64;
  const w = o.windowBlocks ?? 3;
  const g = o.globalBlocks ?? 2;
  const r = o.randomBlocks ?? 3;
  const seed = o.seed ?? 0;
  const perHead = o.perHead ?? false;
  assertNumber(FN, 'options.blockSize', size, { integer: true, min: 1 });
  assertNumber(FN, 'options.windowBlocks', w, { integer: true, min: 1 });
  if (w % 2 === 0) throw new InvalidArgumentError(FN, 'options.windowBlocks', 'an odd integer ≥ 1', w);
  assertNumber(FN, 'options.globalBlocks', g, { integer: true, min: 0 });
  assertNumber(FN, 'options.randomBlocks', r, { integer: true, min: 0 });
  assertNumber(FN, 'options.seed', seed, { integer: true });
  if (typeof perHead !== 'boolean')
    throw new InvalidArgumentError(FN, 'options.perHead', 'a boolean', perHead);
  const blocks = Math.ceil(seqLen / size);
  const half = (w - 1) / 2;
  // Global blocks: [0, headEnd) and [tailStart, blocks); the blocks in between are the random pool.
  const headEnd = Math.min(Math.ceil(g / 2), blocks);
  const tailStart = Math.max(blocks - Math.floor(g / 2), headEnd);
  const isGlobal = (a: number) => a < headEnd || a >= tailStart;
  const randomCache = new Map<number, Int32Array>();
  /** The random key blocks of query block a (sorted), for head h (0 unless perHead). */
  const randomOf = (h: number, a: number): Int32Array => {
    const key = h * blocks + a;
    let chosen = randomCache.get(key);
    if (chosen === undefined) {
      const leftEnd = Math.min(a - half, tailStart);
      const rightStart = Math.max(a + half + 1, headEnd);
      const left = Math.max(0, leftEnd - headEnd);
      const right = Math.max(0, tailStart - rightStart);
      const pool = left + right;
      const k = isGlobal(a) ? 0 : Math.min(r, pool);
      chosen = Int32Array.from(seededSample(pool, k, seed, h, a), (i) =>
        i < left ? headEnd + i : rightStart + (i - left),
      ).sort();
      randomCache.set(key, chosen);
    }
    return chosen;
  };
  const blockAllowed = (h: number, a: number, c: number): boolean =>
    isGlobal(a) || isGlobal(c) || Math.abs(a - c) <= half || randomOf(h, a).includes(c);
  const inRange = (x: number) => x >= 0 && x < seqLen;
  return definePattern(
    (_b, h, q, kv) =>
      inRange(q) && inRange(kv) && blockAllowed(perHead ? h : 0, Math.floor(q / size), Math.floor(kv / size)),
    {
      description: `bigBird(blockSize=${size}, windowBlocks=${w}, globalBlocks=${g}, randomBlocks=${r}, seed=${seed}${perHead ? ', perHead' : ''})`,
      batchInvariant: true,
      headInvariant: !perHead,
      checkLengths: (fn, qLen, kvLen) => {
        if (qLen !== seqLen || kvLen !== seqLen) {
          throw new InvalidArgumentError(
            fn,
            'maskMod',
            `used with the length it was built for (qLen = kvLen = ${seqLen})`,
            `qLen ${qLen}, kvLen ${kvLen}`,
            'Build a new bigBird({ seqLen }) for this length.',
          );
        }
      },
      blocks: {
        classify: (_b, head, q0, q1, grid, states) => {
          const h = perHead ? head : 0;
          const qa = Math.max(q0, 0);
          const qb = Math.min(q1, seqLen);
          for (let j = 0; j < grid.count; j++) {
            const k0 = grid.start + j * grid.size;
            const k1 = Math.min(grid.end, k0 + grid.size);
            const ka = Math.max(k0, 0);
            const kb = Math.min(k1, seqLen);
            if (qa >= qb || ka >= kb) {
              states[j] = BLOCK_NONE;
              continue;
            }
            let all = qa === q0 && qb === q1 && ka === k0 && kb === k1;
            let any = false;
            for (let a = Math.floor(qa / size); a <= Math.floor((qb - 1) / size); a++) {
              for (let c = Math.floor(ka / size); c <= Math.floor((kb - 1) / size); c++) {
                if (blockAllowed(h, a, c)) any = true;
                else all = false;
              }
            }
            states[j] = all ? BLOCK_FULL : any ? BLOCK_PARTIAL : BLOCK_NONE;
          }
        },
        fillBits: (_b, head, slab) => {
          const h = perHead ? head : 0;
          for (let q = Math.max(slab.q0, 0); q < Math.min(slab.q1, seqLen); q++) {
            const a = Math.floor(q / size);
            if (isGlobal(a)) {
              slab.setRange(q, 0, seqLen);
              continue;
            }
            slab.setRange(q, 0, Math.min(headEnd * size, seqLen));
            if (tailStart < blocks) slab.setRange(q, tailStart * size, seqLen);
            slab.setRange(q, Math.max(0, (a - half) * size), Math.min(seqLen, (a + half + 1) * size));
            for (const c of randomOf(h, a)) slab.setRange(q, c * size, Math.min(seqLen, (c + 1) * size));
          }
        },
      },
    },
  );
}

/**
 * Registry entry for {@link bigBird}: `{ pattern: 'bigbird', randomBlocks: 2 }`; the sequence length, the
 * block size (the block mask's) and the seed come from the context. Self-attention only.
 *
 * @example
 * ```ts
 * createPatternMask({ pattern: 'bigbird', randomBlocks: 2 }, { seed: 0, qLen: 1024, kvLen: 1024, blockSize: 64 });
 * ```
 */
export const bigBirdPattern: MaskPatternDefinition = {
  name: 'bigbird',
  title: 'BigBird',
  description: 'Block-aligned window + global + random blocks (blocks of the block mask’s size).',
  paper: bigBird2020,
  options: defineOptions({
    windowBlocks: {
      type: 'number',
      integer: true,
      min: 1,
      default: 3,
      description: 'Window width in blocks (odd): each block sees (w − 1)/2 blocks on each side.',
    },
    globalBlocks: {
      type: 'number',
      integer: true,
      min: 0,
      default: 2,
      description: 'Global blocks: the first ⌈g/2⌉ and the last ⌊g/2⌋ see and are seen by everything.',
    },
    randomBlocks: {
      type: 'number',
      integer: true,
      min: 0,
      default: 3,
      description: 'Random key blocks per non-global query block, outside its window and the global blocks.',
    },
    perHead: { type: 'boolean', default: false, description: 'Draw random blocks separately for each head.' },
  }),
  create: (p: Omit<BigBirdOptions, 'seqLen' | 'blockSize' | 'seed'> & PatternParameters, c) => {
    if (c.qLen !== c.kvLen) {
      throw new InvalidArgumentError(
        'pattern "bigbird"',
        'kvLen',
        `the query length ${c.qLen} (BigBird is self-attention)`,
        c.kvLen,
      );
    }
    return bigBird({ ...p, seqLen: c.qLen, blockSize: c.blockSize, seed: c.seed });
  },
};
