import { IncompatibleOptionsError, InvalidArgumentError, type MaskMod } from '@efficient-attention/core';
import {
  createPatternMask,
  type MaskPatternContext,
  type MaskPatternRegistry,
  maskPatterns,
  type PatternConfig,
} from '@efficient-attention/sparse-masks';

/** A built mask, or the sentence that says why its options cannot build it. */
export type PatternBuild = { readonly mask: MaskMod } | { readonly problem: string };

/**
 * The message of an error that rejects options (`InvalidArgumentError`, `IncompatibleOptionsError`: the
 * schema or the pattern function said what to change), to show in the page; anything else is a bug and is
 * thrown again.
 *
 * @example
 * ```ts
 * try { createPatternMask(config, context); } catch (e) { show(optionProblem(e)); }
 * ```
 */
export function optionProblem(error: unknown): string {
  if (error instanceof InvalidArgumentError || error instanceof IncompatibleOptionsError)
    return error.message;
  throw error;
}

/**
 * Builds the mask a pattern config names with `createPatternMask` (which validates the options against the
 * definition's schema, then the pattern function checks the rest), turning a rejected option into its
 * message so that a figure shows it instead of throwing.
 *
 * @example
 * ```ts
 * const built = buildPatternMask({ pattern: slidingWindowPattern.name, radius: 2 }, { seed: 0, qLen: 16, kvLen: 16, blockSize: 4 });
 * if ('problem' in built) console.log(built.problem);
 * ```
 */
export function buildPatternMask(
  config: PatternConfig,
  context: MaskPatternContext,
  registry: MaskPatternRegistry = maskPatterns,
): PatternBuild {
  try {
    return { mask: createPatternMask(config, context, registry) };
  } catch (error) {
    return { problem: optionProblem(error) };
  }
}
