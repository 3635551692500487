import type { MaskMod } from '@efficient-attention/core';
import { InvalidArgumentError } from '@efficient-attention/core';
import { type BlockEnumerator, unknownBlocks } from './block-enumerator.js';

/**
 * A {@link MaskMod} with what mask builders use to go fast and fail clearly: a description for messages and
 * figures, an optional {@link BlockEnumerator}, and an optional check of the lengths it is defined for.
 * Every pattern and combinator of this package returns one; any plain `MaskMod` works too (its block mask
 * is then built by evaluating it on every pair). FlexAttention: https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const p: MaskPattern = slidingWindow({ radius: 2 });
 * p.description; // 'slidingWindow(before=2, after=2)'
 * p(0, 0, 10, 12); // true
 * ```
 */
export interface MaskPattern extends MaskMod {
  /** What the pattern is, with its parameters, e.g. `slidingWindow(before=32, after=32)`. */
  readonly description: string;
  /** The fast block path (see {@link BlockEnumerator}). */
  readonly blocks?: BlockEnumerator;
  /** Throws an `InvalidArgumentError` from `fn` when the pattern is not defined for these lengths. */
  readonly checkLengths?: (fn: string, qLen: number, kvLen: number) => void;
}

/** Metadata given to {@link definePattern}. */
export interface PatternMetadata {
  description: string;
  batchInvariant?: boolean;
  headInvariant?: boolean;
  blocks?: BlockEnumerator;
  checkLengths?: (fn: string, qLen: number, kvLen: number) => void;
}

/**
 * Wraps a predicate `(b, h, q, kv) => boolean` into a frozen {@link MaskPattern}. The predicate is the
 * definition; the enumerator, if given, must agree with it (the package's tests check every built-in one
 * against a predicate sweep). FlexAttention's `mask_mod`: https://arxiv.org/abs/2412.05496.
 *
 * @example
 * ```ts
 * const evenKeys = definePattern((_b, _h, _q, kv) => kv % 2 === 0, {
 *   description: 'evenKeys',
 *   batchInvariant: true,
 *   headInvariant: true,
 * });
 * createBlockMask(evenKeys, 8, 8, { blockSize: 4 }); // no enumerator: built by a predicate sweep
 * ```
 */
export function definePattern(
  predicate: (b: number, h: number, q: number, kv: number) => boolean,
  metadata: PatternMetadata,
): MaskPattern {
  if (typeof predicate !== 'function') {
    throw new InvalidArgumentError(
      'definePattern',
      'predicate',
      'a function (b, h, q, kv) => boolean',
      predicate,
    );
  }
  const mod = (b: number, h: number, q: number, kv: number): boolean => predicate(b, h, q, kv);
  return Object.freeze(
    Object.assign(mod, {
      description: metadata.description,
      batchInvariant: metadata.batchInvariant === true,
      headInvariant: metadata.headInvariant === true,
      ...(metadata.blocks ? { blocks: Object.freeze({ ...metadata.blocks }) } : {}),
      ...(metadata.checkLengths ? { checkLengths: metadata.checkLengths } : {}),
    }),
  );
}

/** Returns the same pattern under another description (compounds are named after what they are). */
export function renamePattern(pattern: MaskPattern, description: string): MaskPattern {
  return definePattern(pattern, {
    description,
    batchInvariant: pattern.batchInvariant === true,
    headInvariant: pattern.headInvariant === true,
    ...(pattern.blocks ? { blocks: pattern.blocks } : {}),
    ...(pattern.checkLengths ? { checkLengths: pattern.checkLengths } : {}),
  });
}

/** Throws unless `mod` is a function, naming `fn` and `parameter`. */
export function assertMaskMod(fn: string, parameter: string, mod: unknown): asserts mod is MaskMod {
  if (typeof mod !== 'function') {
    throw new InvalidArgumentError(fn, parameter, 'a MaskMod (b, h, q, kv) => boolean', mod);
  }
}

/** The enumerator of a mask: its own, or one that marks every block partial (a predicate sweep). */
export function enumeratorOf(mod: MaskMod): BlockEnumerator {
  return (mod as Partial<MaskPattern>).blocks ?? unknownBlocks;
}

/** A short name for messages: the pattern's description, or the function's name. */
export function describeMask(mod: MaskMod): string {
  return (mod as Partial<MaskPattern>).description ?? (mod.name ? `${mod.name}` : 'a custom MaskMod');
}

/** Runs a mask's length check, if it has one. */
export function checkMaskLengths(fn: string, mod: MaskMod, qLen: number, kvLen: number): void {
  (mod as Partial<MaskPattern>).checkLengths?.(fn, qLen, kvLen);
}
