import {
  assertKnownOptions,
  IncompatibleOptionsError,
  InvalidArgumentError,
  type MechanismApplyOptions,
} from '@efficient-attention/core';

/**
 * Validates the per-call options of a registered mechanism of this package: none of them takes an arbitrary
 * `mask` or `scoreMod` (they never form the N × N score matrix), and `causal` only where supported. Returns
 * `causal`. Internal to the package.
 *
 * @example
 * ```ts
 * const causal = checkApplyOptions('performer', options, { causal: true });
 * ```
 */
export function checkApplyOptions(
  mechanism: string,
  options: MechanismApplyOptions | undefined,
  supports: { causal: boolean; why?: string },
): boolean {
  const fn = `${mechanism}.apply`;
  assertKnownOptions(fn, options, ['causal', 'mask', 'scoreMod']);
  const o = options ?? {};
  for (const key of ['mask', 'scoreMod'] as const) {
    if (o[key] !== undefined) {
      throw new IncompatibleOptionsError(
        fn,
        `\`${key}\` is not supported: ${mechanism} never forms the N×N score matrix a ${key} acts on. ` +
          'Use a dense or sparse mechanism for custom masks and score modifiers.',
      );
    }
  }
  if (o.causal !== undefined && typeof o.causal !== 'boolean') {
    throw new InvalidArgumentError(fn, 'options.causal', 'a boolean', o.causal);
  }
  if (o.causal === true && !supports.causal) {
    throw new IncompatibleOptionsError(fn, `causal attention is not supported: ${supports.why ?? ''}`.trim());
  }
  return o.causal === true;
}

/** Throws unless the call's head dimension is the one the mechanism was created for. */
export function checkHeadDim(mechanism: string, q: { shape: number[] }, headDim: number): void {
  if (q.shape[3] !== headDim) {
    throw new InvalidArgumentError(
      `${mechanism}.apply`,
      'q.shape[3] (headDim)',
      `${headDim} (the context.headDim the mechanism was created with)`,
      q.shape[3],
    );
  }
}
