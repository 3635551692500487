import {
  type AttentionMaskInput,
  AttentionMaskPlan,
  assertKnownOptions,
  attentionMechanisms,
  checkOption,
  type DecodingPlan,
  defineCapabilities,
  defineOptions,
  InvalidArgumentError,
  type MaskMod,
  type MechanismApplyOptions,
  type MechanismDefinition,
  type MechanismInstance,
  type MechanismRegistry,
  validateAttentionInputs,
} from '@efficient-attention/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { BlockMask } from './block-mask.js';
import { blockSparseAttention } from './block-sparse-attention.js';
import { andMasks } from './combinators/and-masks.js';
import { createBlockMask } from './create-block-mask.js';
import { patternDefinitionOf, resolvePatternParameters } from './create-pattern-mask.js';
import type { MaskPatternDefinition } from './mask-pattern-definition.js';
import { flexAttention2024 } from './papers.js';
import { causal } from './patterns/causal.js';

/**
 * Config of the `block-sparse` mechanism: a pattern name from `maskPatterns`, the block size, and the
 * pattern's own parameters, flat — e.g. `{ pattern: 'sliding-window', radius: 32, blockSize: 32 }` or
 * `{ pattern: 'bigbird', randomBlocks: 2, blockSize: 64 }`. JSON-serialisable.
 */
export interface BlockSparseConfig {
  /** A name registered in `maskPatterns`. Default `'sliding-window'` (with `radius: 64`). */
  pattern: string;
  /** Block size of the block masks (an integer ≥ 1). Default 64. */
  blockSize: number;
  /** The pattern's parameters (see `maskPatterns.get(pattern).options`). */
  [parameter: string]: unknown;
}

const NAME = 'block-sparse';
const DEFAULT_CONFIG: BlockSparseConfig = Object.freeze({
  pattern: 'sliding-window',
  radius: 64,
  blockSize: 64,
});
/** Block masks kept per instance (one per distinct call shape). */
const CACHE_SIZE = 16;

/** The mechanism's own keys; every other config key is a parameter of the named pattern. */
const OPTIONS = defineOptions({
  pattern: {
    type: 'string',
    default: 'sliding-window',
    description:
      'A mask pattern registered in `maskPatterns` (its parameters go next to it in the config). With no pattern named, `sliding-window` with `radius: 64`.',
  },
  blockSize: {
    type: 'number',
    integer: true,
    min: 1,
    default: 64,
    description: 'Query and key positions per block of the block mask.',
  },
});

/** A config checked against the mechanism's and its pattern's schemas, split into its parts. */
interface ResolvedBlockSparseConfig {
  readonly definition: MaskPatternDefinition;
  readonly blockSize: number;
  /** The pattern's parameters, with its defaults. */
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * Resolves a config: the defaults apply in full only when no pattern is named (a named pattern brings
 * its own parameters). Errors name `fn` and `path.blockSize` / `path.pattern`, or the pattern's
 * `options.<key>` (from `fn (pattern "<name>")`).
 */
function resolveConfig(
  config: unknown,
  fn: string,
  path: string,
  /** Where the pattern's parameters are named in errors (they sit beside `pattern` in `path`). */
  paramsPath = 'options',
): ResolvedBlockSparseConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new InvalidArgumentError(fn, path, 'a config object', config);
  }
  const given = config as Readonly<Record<string, unknown>>;
  const merged: Record<string, unknown> =
    given.pattern === undefined
      ? { ...DEFAULT_CONFIG, ...given }
      : { blockSize: DEFAULT_CONFIG.blockSize, ...given };
  const { pattern, blockSize, ...params } = merged;
  checkOption(fn, `${path}.blockSize`, OPTIONS.blockSize, blockSize);
  const definition = patternDefinitionOf(fn, `${path}.pattern`, pattern);
  return {
    definition,
    blockSize: blockSize as number,
    params: resolvePatternParameters(definition, params, `${fn} (pattern "${pattern}")`, paramsPath),
  };
}

/** A boolean / 0-1 tensor mask as a predicate (read once; broadcast dims index 0). */
function tensorMaskToMaskMod(mask: tf.Tensor): MaskMod {
  const shape = [...Array(4 - mask.rank).fill(1), ...mask.shape] as [number, number, number, number];
  const data = mask.dataSync();
  const [b, h, n, m] = shape;
  return (bi, hi, q, kv) =>
    data[(((b === 1 ? 0 : bi) * h + (h === 1 ? 0 : hi)) * n + (n === 1 ? 0 : q)) * m + (m === 1 ? 0 : kv)] !==
    0;
}

/**
 * The `block-sparse` attention mechanism: {@link blockSparseAttention} under a mask named by a
 * data-driven config (see {@link BlockSparseConfig}), so JSON model configs can choose sliding-window,
 * Longformer, BigBird… attention. Per call it builds (and caches, per shape) the block mask of
 * `pattern ∧ causal ∧ mask`; causal is bottom-right aligned for cross-attention, and a tensor mask is read
 * into a predicate. Exact under its mask: `denseEquivalent` returns that mask for dense attention. Decoding
 * keeps a rolling cache for a band pattern (`sliding-window`) and rebuilds the pattern per length otherwise.
 *
 * A generic executor of FlexAttention-style block masks (Dong et al. 2024, https://arxiv.org/abs/2412.05496);
 * block-sparse attention: Child et al. 2019, https://arxiv.org/abs/1904.10509.
 *
 * @example
 * ```ts
 * const attn = blockSparseMechanism.create(
 *   { pattern: 'longformer', radius: 128, globalIndices: [0], blockSize: 64 },
 *   { seed: 0, heads: 8, headDim: 64 },
 * );
 * const out = attn.apply(q, k, v, { causal: true });
 * ```
 */
export const blockSparseMechanism: MechanismDefinition<BlockSparseConfig> = {
  name: NAME,
  title: 'Block-sparse attention',
  description: 'Block-sparse attention under a named mask pattern; skips the blocks the mask empties.',
  paper: flexAttention2024,
  capabilities: defineCapabilities({
    family: 'sparse',
    accuracy: { kind: 'exact' },
    supportsCausal: true,
    supportsMask: true,
    supportsScoreMod: true,
    supportsCrossAttention: true,
    supportsGroupedQuery: true,
    requiresFixedLength: false,
    timeComplexity: 'O(visited blocks · blockSize² · d)',
    memoryComplexity: 'O(visited blocks · blockSize²)',
    trainableParameters: false,
  }),
  options: OPTIONS,
  defaultConfig: DEFAULT_CONFIG,
  checkConfig(config, fn, path) {
    const { definition, blockSize, params } = resolveConfig(config, fn, path, path);
    return { pattern: definition.name, blockSize, ...params };
  },
  // The inference-scaling experiment's sliding window (r = 64, blocks of 64): O(N·r) up to 16384 tokens.
  benchmark: {
    maxLength: 16384,
    config: () => ({ pattern: 'sliding-window', radius: 64, blockSize: 64 }),
  },
  create(config, context): MechanismInstance {
    const { definition, blockSize, params } = resolveConfig(config, NAME, 'config');
    const seed = context?.seed ?? 0;
    const patternCache = new Map<string, MaskMod>();
    const patternFor = (qLen: number, kvLen: number): MaskMod => {
      const key = `${qLen}x${kvLen}`;
      let mod = patternCache.get(key);
      if (mod === undefined) {
        mod = definition.create(params, { seed, qLen, kvLen, blockSize });
        if (patternCache.size >= CACHE_SIZE) patternCache.delete(patternCache.keys().next().value!);
        patternCache.set(key, mod);
      }
      return mod;
    };
    /** The predicate dense attention must use to compute the same function. */
    const combined = (options: MechanismApplyOptions, qLen: number, kvLen: number, withCausal: boolean) => {
      const parts: MaskMod[] = [patternFor(qLen, kvLen)];
      if (withCausal && options.causal === true) parts.push(causal({ qLen, kvLen }));
      const mask: AttentionMaskInput | undefined = options.mask;
      if (mask !== undefined) parts.push(typeof mask === 'function' ? mask : tensorMaskToMaskMod(mask));
      return parts.length === 1 ? parts[0]! : andMasks(...parts);
    };
    const blockMasks = new Map<string, BlockMask>();
    return {
      params: {},
      apply(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: MechanismApplyOptions = {}): tf.Tensor4D {
        assertKnownOptions(NAME, options, ['causal', 'mask', 'scoreMod']);
        const dims = validateAttentionInputs(NAME, q, k, v);
        if (options.causal !== undefined && typeof options.causal !== 'boolean') {
          throw new InvalidArgumentError(NAME, 'options.causal', 'a boolean', options.causal);
        }
        if (options.mask !== undefined && typeof options.mask !== 'function') {
          // Validates a tensor mask's shape against the inputs (it throws with the expected shape).
          new AttentionMaskPlan(NAME, dims, false, options.mask);
        }
        // Masks given per call (predicates, tensors) are compiled per call; the config's mask is cached.
        const key = `${dims.qLen}x${dims.kvLen}:${options.causal === true}:${dims.batch}x${dims.heads}`;
        let blockMask = options.mask === undefined ? blockMasks.get(key) : undefined;
        if (blockMask === undefined) {
          blockMask = createBlockMask(combined(options, dims.qLen, dims.kvLen, true), dims.qLen, dims.kvLen, {
            blockSize,
            batch: dims.batch,
            heads: dims.heads,
          });
          if (options.mask === undefined) {
            if (blockMasks.size >= CACHE_SIZE) blockMasks.delete(blockMasks.keys().next().value!);
            blockMasks.set(key, blockMask);
          }
        }
        return blockSparseAttention(
          q,
          k,
          v,
          blockMask,
          options.scoreMod ? { scoreMod: options.scoreMod } : {},
        );
      },
      decoding(decodingContext): DecodingPlan {
        const band = definition.band?.(params);
        if (band !== undefined && !decodingContext.masked) {
          // Every key a new token may see is among the last 1 + before: a rolling cache over them is exact.
          return { kind: 'kv-cache', window: 1 + band.before, attend: 'exact' };
        }
        // Exact under its mask: dense attention over the cache with the pattern's row for this position.
        return {
          kind: 'kv-cache',
          attend: 'exact',
          maskAt: (position) =>
            definition.create(params, { seed, qLen: position + 1, kvLen: position + 1, blockSize }),
        };
      },
      denseEquivalent(options, shape) {
        return {
          mask: combined(options, shape.qLen, shape.kvLen, false),
          ...(options.causal !== undefined ? { causal: options.causal } : {}),
          ...(options.scoreMod !== undefined ? { scoreMod: options.scoreMod } : {}),
        };
      },
      dispose() {
        blockMasks.clear();
        patternCache.clear();
      },
    };
  },
};

/**
 * Every mechanism definition of this package, in table order (`block-sparse`).
 *
 * @example
 * ```ts
 * for (const definition of sparseMasksMechanisms) registry.register(definition);
 * ```
 */
export const sparseMasksMechanisms: readonly MechanismDefinition[] = Object.freeze([blockSparseMechanism]);

/**
 * Registers the `block-sparse` mechanism in `registry` (default: core's `attentionMechanisms`). Nothing
 * registers on import; call it once.
 *
 * Child et al. 2019, https://arxiv.org/abs/1904.10509.
 *
 * @example
 * ```ts
 * registerSparseMasks();
 * attentionMechanisms.get('block-sparse').create({ pattern: 'bigbird', blockSize: 64 }, { seed: 1, heads: 8, headDim: 64 });
 * ```
 */
export function registerSparseMasks(registry: MechanismRegistry = attentionMechanisms): void {
  for (const definition of sparseMasksMechanisms) registry.register(definition);
}
