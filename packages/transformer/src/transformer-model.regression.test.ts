import { describeBackends } from '@efficient-attention/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { tinyLm } from './test-support/tiny-configs.js';
import { createModel } from './transformer-model.js';

/** Counterexamples the fuzz suite (transformer.fuzz.test.ts) found, kept as named tests. */
describeBackends('createModel regressions (fuzz)', () => {
  // Fuzz counterexample: entmax-alpha's schema bound `initialAlpha: 1.01` passes validateModelConfig, then the
  // mechanism's create rejects it (α must be in the open interval (1.01, 2)) while the first block is being
  // built: the InvalidArgumentError is clear, but the tensors the block allocated before it are never
  // disposed (4 per failed createModel: the q, k, v, o projections). Fixed: the mechanism is created first,
  // and a block frees what it built when a later part fails.
  it('a mechanism that rejects its config leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      createModel(tinyLm({ attention: { mechanism: 'entmax-alpha', config: { initialAlpha: 1.01 } } })),
    ).toThrow(/config\.initialAlpha/);
    expect(tf.memory().numTensors - before, 'tensors left by the failed createModel').toBe(0);
  });

  // The same leak from the long fuzz run: dynamic-span with `maxSpan: 1` keeps its default initialSpan 32,
  // which DynamicSpan rejects (clear error) after the block allocated 4 tensors.
  it('dynamic-span with maxSpan 1 (initialSpan ≥ maxSpan) leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      createModel(tinyLm({ attention: { mechanism: 'dynamic-span', config: { maxSpan: 1 } } })),
    ).toThrow(/initialSpan/);
    expect(tf.memory().numTensors - before, 'tensors left by the failed createModel').toBe(0);
  });
});
