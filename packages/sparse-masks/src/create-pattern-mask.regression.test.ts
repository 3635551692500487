import { InvalidArgumentError } from '@efficient-attention/core';
import { expect, it } from 'vitest';
import { createPatternMask } from './create-pattern-mask.js';

// Counterexample of the long fuzz run (sparse-masks.fuzz.test.ts): an unknown pattern name reaches the
// registry and throws its RegistryError, while a non-string name (and the block-sparse mechanism's config)
// gives an InvalidArgumentError naming `config.pattern`. Fixed: one check (`patternDefinitionOf`) for both.
it('createPatternMask: an unknown pattern name throws an InvalidArgumentError naming config.pattern', () => {
  const context = { seed: 0, qLen: 6, kvLen: 6, blockSize: 4 };
  expect(() => createPatternMask({ pattern: 'slidingwindow' }, context)).toThrow(InvalidArgumentError);
  expect(() => createPatternMask({ pattern: 'slidingwindow' }, context)).toThrow(/config\.pattern/);
});
